"""Wall time of `blueprint new --defaults --no-validate` and `blueprint validate`.

Usage: python bench/cli_times.py [--runs 5] [--blueprint PATH]

Each run renders the defaults into a new folder, then validates that fresh project (so
every `validate` creates its own environment; uv's download cache is warm after the first
run). Prints the median, min and max of each command over the runs.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    """Run the benchmark and print one line per command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    default = shutil.which("blueprint") or str(Path(sys.executable).with_name("blueprint"))
    parser.add_argument("--blueprint", default=default, help="the blueprint executable")
    args = parser.parse_args()

    times: dict[str, list[float]] = {"new --defaults --no-validate": [], "validate": []}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            project = Path(scratch) / f"svc{run}"
            new = [args.blueprint, "new", str(project), "--defaults", "--no-validate"]
            times["new --defaults --no-validate"].append(_timed(new))
            times["validate"].append(_timed([args.blueprint, "validate", str(project)]))
    for name, samples in times.items():
        print(
            f"blueprint {name}: median {statistics.median(samples):.2f}s "
            f"(min {min(samples):.2f}s, max {max(samples):.2f}s, n={len(samples)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
