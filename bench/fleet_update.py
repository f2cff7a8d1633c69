"""`blueprint fleet update --no-validate` with `--jobs 1` against the default, one run.

Usage: python bench/fleet_update.py [--services 20] [--rounds 2] [--blueprint PATH]

Builds the same kind of fleet as ``bench/fleet_status.py`` (a template repository with
two release tags, services rendered at the older one, each its own git repository, all
clean), a fresh one for each timed command: `--jobs 1` and the default (the CPU count)
update the same number of services to the same release. The services are split into
``--rounds`` rounds, and the two commands take turns in ABBA order (jobs 1, default;
default, jobs 1; ...), so a machine that slows down or speeds up during the run (a shared
one does) weighs on both alike. Prints each total wall time and the ratio. Also times one
`blueprint update --no-validate` and one plain `copier update --trust` of two copies of
one service (blueprint's includes its guard: a render of the recorded version, to keep
edits that the release deletes).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_status import GIT_ENV, _fleet, _git, _template


def _clean(root: Path) -> None:
    """Drop the uncommitted edit ``_fleet`` leaves on every 10th service."""
    for answers in root.rglob(".copier-answers.yml"):
        _git(answers.parent, "checkout", "--", ".")


def _timed(command: list[str], cwd: Path | None = None) -> tuple[float, str]:
    env = {**os.environ, **GIT_ENV}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True, env=env)
    return time.perf_counter() - started, done.stdout


def main() -> int:
    """Build two fleets, update each, print the times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="ABBA turns (services split)")
    default = shutil.which("blueprint") or str(Path(sys.executable).with_name("blueprint"))
    parser.add_argument("--blueprint", default=default, help="the blueprint executable")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        template = _template(scratch)
        times = {"1": 0.0, f"default ({os.cpu_count()})": 0.0}
        size = args.services // args.rounds
        for round_number in range(args.rounds):
            order = list(times) if round_number % 2 == 0 else list(reversed(times))
            for jobs in order:
                name = f"round-{round_number}-jobs-{jobs.split()[0]}"
                fleet = _fleet(scratch / name, template, size)
                _clean(fleet)
                command = [args.blueprint, "fleet", "update", "--no-validate", "--json", str(fleet)]
                command += ["--jobs", jobs] if jobs == "1" else []
                seconds, printed = _timed(command)
                rows = json.loads(printed)
                if [row["outcome"] for row in rows] != ["updated"] * size:
                    raise SystemExit(f"not every service was updated: {rows[:2]}")
                times[jobs] += seconds
        single = _fleet(scratch / "single", template, 2)
        _clean(single)
        one, two = sorted(path.parent for path in single.rglob(".copier-answers.yml"))
        blueprint, _ = _timed(
            [args.blueprint, "update", "--no-validate", "--to", "v0.2.0", str(one)]
        )
        copier_bin = str(Path(sys.executable).with_name("copier"))
        plain, _ = _timed(
            [copier_bin, "update", "--trust", "--defaults", "--vcs-ref", "v0.2.0"], cwd=two
        )
    serial, parallel = times.values()
    for jobs, seconds in times.items():
        print(
            f"fleet update --no-validate, {args.services} services in {args.rounds} rounds, "
            f"--jobs {jobs}: {seconds:.1f}s"
        )
    print(f"default / --jobs 1: {serial / parallel:.2f}x faster")
    print(f"one service: blueprint update {blueprint:.1f}s, plain copier update {plain:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
