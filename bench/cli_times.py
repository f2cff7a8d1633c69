"""Wall time of `blueprint new --defaults --no-validate` and `blueprint validate`.

Usage: python bench/cli_times.py [--runs 5] [--blueprint PATH] [--baseline PATH]

Each run renders the defaults into a new folder, then validates that fresh project (so
every `validate` creates its own environment; uv's download cache is warm after the first
run). With `--baseline` (another installation's `blueprint`, e.g. of an earlier commit),
the two alternate run by run, the baseline first in odd runs, so both see the same
machine; the ratio of the medians is printed. Prints the median, min and max of each
command over the runs.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = ("new --defaults --no-validate", "validate")


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode:
        sys.exit(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stdout[-4000:]}")
    return time.perf_counter() - started


def _run(blueprint: str, project: Path, times: dict[str, list[float]]) -> None:
    new = [blueprint, "new", str(project), "--defaults", "--no-validate"]
    times[COMMANDS[0]].append(_timed(new))
    times[COMMANDS[1]].append(_timed([blueprint, "validate", str(project)]))


def _summary(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):.2f}s "
        f"(min {min(samples):.2f}s, max {max(samples):.2f}s, n={len(samples)})"
    )


def main() -> int:
    """Run the benchmark and print one line per command (and installation)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    default = shutil.which("blueprint") or str(Path(sys.executable).with_name("blueprint"))
    parser.add_argument("--blueprint", default=default, help="the blueprint executable")
    parser.add_argument("--baseline", help="another blueprint executable, run alternately")
    args = parser.parse_args()

    installations = {"this": args.blueprint}
    if args.baseline:
        installations["baseline"] = args.baseline
    times: dict[str, dict[str, list[float]]] = {
        label: {name: [] for name in COMMANDS} for label in installations
    }
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            order = list(installations) if run % 2 else list(reversed(installations))
            for label in order:
                _run(installations[label], Path(scratch) / f"{label}{run}", times[label])
    for label, by_command in times.items():
        for name, samples in by_command.items():
            print(f"{label}: blueprint {name}: {_summary(samples)}")
    if args.baseline:
        for name in COMMANDS:
            ratio = statistics.median(times["this"][name]) / statistics.median(
                times["baseline"][name]
            )
            print(f"this / baseline, {name}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
