"""Wall time of `blueprint fleet status` over a fleet of rendered services.

Usage: python bench/fleet_status.py [--services 200] [--runs 5] [--blueprint PATH]

Builds, in a scratch folder, a template git repository with two release tags, renders one
service at the older tag (and one on PostgreSQL/Redis), then copies them into N service
folders, each its own git repository with a commit (every 10th one has an uncommitted
edit). Times the whole `blueprint fleet status ROOT --json` command N times and checks it
found every service. Prints the median, min and max.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import copier

REPO = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


GIT = shutil.which("git") or "git"


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True, env=env)


def _template(scratch: Path) -> Path:
    repository = scratch / "template"
    repository.mkdir()
    shutil.copy2(REPO / "copier.yml", repository / "copier.yml")
    shutil.copytree(REPO / "template", repository / "template")
    _git(repository, "init", "--quiet", "--initial-branch=main")
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "-m", "0.1.0")
    _git(repository, "tag", "v0.1.0")
    (repository / "template" / "NOTES.md").write_text("Release notes.\n", "utf-8")
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "-m", "0.2.0")
    _git(repository, "tag", "v0.2.0")
    return repository


def _fleet(scratch: Path, template: Path, count: int) -> Path:
    seeds = []
    for index, answers in enumerate(({}, {"database": "postgresql", "cache": "redis"})):
        seed = scratch / f"seed{index}"
        copier.run_copy(
            str(template),
            seed,
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="v0.1.0",
        )
        seeds.append(seed)
    root = scratch / "fleet"
    for number in range(count):
        service = root / f"team{number % 10}" / f"service-{number:03d}"
        shutil.copytree(seeds[number % 2], service)
        _git(service, "init", "--quiet", "--initial-branch=main")
        _git(service, "add", "--all")
        _git(service, "commit", "--quiet", "-m", "rendered")
        if number % 10 == 0:
            readme = service / "README.md"
            readme.write_text(readme.read_text("utf-8") + "\nlocal edit\n", "utf-8")
    return root


def main() -> int:
    """Build the fleet, time the command, print one line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    default = shutil.which("blueprint") or str(Path(sys.executable).with_name("blueprint"))
    parser.add_argument("--blueprint", default=default, help="the blueprint executable")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        root = _fleet(scratch, _template(scratch), args.services)
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            completed = subprocess.run(
                [args.blueprint, "fleet", "status", "--json", str(root)],
                check=True,
                capture_output=True,
                text=True,
            )
            samples.append(time.perf_counter() - started)
            rows = json.loads(completed.stdout)
            if len(rows) != args.services or any(row["behind"] != 1 for row in rows):
                message = f"expected {args.services} services one release behind: {rows[:1]}"
                raise SystemExit(message)
    print(
        f"blueprint fleet status, {args.services} services: median "
        f"{statistics.median(samples):.2f}s (min {min(samples):.2f}s, "
        f"max {max(samples):.2f}s, n={len(samples)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
