"""`blueprint fleet update --no-validate` with `--jobs 1` against the default, one run.

Usage: python bench/fleet_update.py [--services 20] [--blueprint PATH]

Builds the same kind of fleet as ``bench/fleet_status.py`` (a template repository with
two release tags, services rendered at the older one, each its own git repository, all
clean), twice: one copy is updated with `--jobs 1`, the other with the default (the CPU
count), to the same release. Prints each wall time and the ratio. Also times one
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
    default = shutil.which("blueprint") or str(Path(sys.executable).with_name("blueprint"))
    parser.add_argument("--blueprint", default=default, help="the blueprint executable")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        template = _template(scratch)
        times = {}
        for jobs in ("1", None):
            fleet = _fleet(scratch / f"jobs-{jobs or 'default'}", template, args.services)
            _clean(fleet)
            command = [args.blueprint, "fleet", "update", "--no-validate", "--json", str(fleet)]
            command += ["--jobs", jobs] if jobs else []
            seconds, printed = _timed(command)
            rows = json.loads(printed)
            if [row["outcome"] for row in rows] != ["updated"] * args.services:
                raise SystemExit(f"not every service was updated: {rows[:2]}")
            times[jobs or f"default ({os.cpu_count()})"] = seconds
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
            f"fleet update --no-validate, {args.services} services, --jobs {jobs}: {seconds:.1f}s"
        )
    print(f"default / --jobs 1: {serial / parallel:.2f}x faster")
    print(f"one service: blueprint update {blueprint:.1f}s, plain copier update {plain:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
