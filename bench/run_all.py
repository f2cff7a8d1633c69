"""Run every benchmark of the README's table, one after another, with its documented options.

Usage: python bench/run_all.py [--quick]

Each benchmark prints its own table. ``--quick`` shortens the runs (fewer rounds and
shorter loads) for a smoke test; the README's figures come from the full run.
``service_throughput.py`` and ``patch_versions.py`` need Debian's ``wrk`` and are skipped,
with the reason, without it.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL: tuple[tuple[str, ...], ...] = (
    ("render_compare.py", "--runs", "7"),
    ("jinja_share.py",),
    ("fleet_status.py", "--services", "200", "--runs", "5"),
    ("fleet_update.py", "--services", "20"),
    ("hot_path.py", "--rounds", "5", "--requests", "300", "--cold-starts", "5"),
    ("service_throughput.py", "--seconds", "8", "--rounds", "5"),
    ("service_throughput.py", "--seconds", "8", "--rounds", "5", "--database", "postgresql"),
    ("patch_versions.py", "--seconds", "8", "--rounds", "3"),
    ("metrics_middleware.py", "--requests", "20000", "--rounds", "5"),
    ("body_memory.py", "--megabytes", "50", "--clients", "8"),
)
QUICK: tuple[tuple[str, ...], ...] = (
    ("render_compare.py", "--runs", "1"),
    ("jinja_share.py",),
    ("fleet_status.py", "--services", "20", "--runs", "1"),
    ("fleet_update.py", "--services", "2"),
    ("hot_path.py", "--rounds", "1", "--requests", "30", "--runs", "1", "--cold-starts", "1"),
    ("service_throughput.py", "--seconds", "2", "--rounds", "1", "--rows", "100"),
    (
        "service_throughput.py",
        "--seconds",
        "2",
        "--rounds",
        "1",
        "--rows",
        "100",
        "--database",
        "postgresql",
    ),
    ("patch_versions.py", "--seconds", "2", "--rounds", "1"),
    ("metrics_middleware.py", "--requests", "2000", "--rounds", "1"),
    ("body_memory.py", "--megabytes", "5", "--clients", "2"),
)


def main() -> int:
    """Run the benchmarks in order; exit 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    args = parser.parse_args()
    failed = []
    for script, *options in QUICK if args.quick else FULL:
        print(f"\n## python bench/{script} {' '.join(options)}", flush=True)
        if script in {"service_throughput.py", "patch_versions.py"} and shutil.which("wrk") is None:
            print("skipped: wrk is not installed (apt-get install wrk)", flush=True)
            continue
        completed = subprocess.run([sys.executable, str(HERE / script), *options], check=False)
        if completed.returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
