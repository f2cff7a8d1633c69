"""Render time as the number of entities grows: 1, 10 and 50 (median of N renders each).

Usage: python bench/render_entities.py [--runs 5]

Each entity is the default Task's shape under another name; every render goes into a new
folder from a plain copy of the template (no git), in this process, so the figures are
Copier plus the template, without interpreter start-up.
"""

import argparse
import copy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import copier
import yaml

REPO = Path(__file__).resolve().parents[1]
COUNTS = (1, 10, 50)


def entities(count: int) -> str:
    """``count`` entities shaped like the default Task, named Entity1, Entity2, ..."""
    config = yaml.safe_load((REPO / "copier.yml").read_text("utf-8"))
    [task] = config["entities"]["default"]
    many = []
    for index in range(1, count + 1):
        entity = copy.deepcopy(task)
        entity["name"] = f"Entity{index}"
        many.append(entity)
    return yaml.safe_dump(many, sort_keys=False)


def main() -> int:
    """Print one line per entity count: median, min, max and the files written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "template"
        template.mkdir()
        shutil.copy2(REPO / "copier.yml", template / "copier.yml")
        shutil.copytree(REPO / "template", template / "template")
        for count in COUNTS:
            data = {"entities": entities(count)}
            samples = []
            for run in range(args.runs):
                destination = Path(scratch) / f"out-{count}-{run}"
                started = time.perf_counter()
                copier.run_copy(
                    str(template), destination, data=data, defaults=True, unsafe=True, quiet=True
                )
                samples.append(time.perf_counter() - started)
            files = sum(1 for path in destination.rglob("*") if path.is_file())
            print(
                f"{count:>3} entities: median {statistics.median(samples):.2f}s "
                f"(min {min(samples):.2f}s, max {max(samples):.2f}s, n={args.runs}), {files} files"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
