"""Render time of the template's default answers against a trivial one-file Copier template.

Usage: python bench/render_compare.py [--runs 9]

Both templates are plain folders (no git) in a scratch directory and are rendered with
`copier.run_copy` in this process, alternating run by run, so both see the same machine
state. Prints the median, min and max of each and the ratio of the medians: what the
template itself costs on top of Copier's own fixed cost.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import copier

REPO = Path(__file__).resolve().parents[1]
TRIVIAL_QUESTIONS = "project_name:\n  type: str\n  default: Task Service\n"
TRIVIAL_FILE = "# {{ project_name }}\n"


def _render(template: Path, destination: Path) -> float:
    started = time.perf_counter()
    copier.run_copy(str(template), destination, defaults=True, unsafe=True, quiet=True)
    return time.perf_counter() - started


def main() -> int:
    """Render both templates alternately and print one line each, then the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        blueprint = scratch / "blueprint"
        blueprint.mkdir()
        shutil.copy2(REPO / "copier.yml", blueprint / "copier.yml")
        shutil.copytree(REPO / "template", blueprint / "template")
        trivial = scratch / "trivial"
        trivial.mkdir()
        (trivial / "copier.yml").write_text(TRIVIAL_QUESTIONS, "utf-8")
        (trivial / "README.md.jinja").write_text(TRIVIAL_FILE, "utf-8")
        samples: dict[str, list[float]] = {"blueprint (defaults)": [], "trivial one-file": []}
        for run in range(args.runs):
            samples["blueprint (defaults)"].append(_render(blueprint, scratch / f"b{run}"))
            samples["trivial one-file"].append(_render(trivial, scratch / f"t{run}"))
        files = sum(1 for path in (scratch / "b0").rglob("*") if path.is_file())
    for name, times in samples.items():
        print(
            f"{name}: median {statistics.median(times):.3f}s "
            f"(min {min(times):.3f}s, max {max(times):.3f}s, n={len(times)})"
        )
    ratio = statistics.median(samples["blueprint (defaults)"]) / statistics.median(
        samples["trivial one-file"]
    )
    print(f"blueprint / trivial: {ratio:.1f}x for {files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
