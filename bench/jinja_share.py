"""The share of template lines that carry Jinja, and of those, control lines.

Usage: python bench/jinja_share.py [--by-file N]

A line carries Jinja when it holds ``{{``, ``{%`` or ``{#``; a control line is one whose
only content is a block tag (``{% if %}``, ``{% for %}``, ``{% set %}``...). Every file
under ``template/`` counts, rendered verbatim or not (paths are not lines).
"""

import argparse
import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "template"
_JINJA = re.compile(r"\{\{|\{%|\{#")
_CONTROL = re.compile(r"^\s*\{%-?.*-?%\}\s*$")


def count(path: Path) -> tuple[int, int, int]:
    """(lines, lines with Jinja, control lines) of one file."""
    lines = path.read_text("utf-8").splitlines()
    jinja = [line for line in lines if _JINJA.search(line)]
    return len(lines), len(jinja), sum(1 for line in jinja if _CONTROL.match(line))


def measure() -> dict[str, tuple[int, int, int]]:
    """(lines, lines with Jinja, control lines) of every file under ``template/``, by path."""
    return {
        path.relative_to(TEMPLATE).as_posix(): count(path)
        for path in sorted(TEMPLATE.rglob("*"))
        if path.is_file()
    }


def main() -> None:
    """Print the totals, and the files with the most Jinja lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--by-file", type=int, default=10, help="list the N heaviest files")
    options = parser.parse_args()
    per_file = measure()
    lines = sum(total for total, _, _ in per_file.values())
    jinja = sum(with_jinja for _, with_jinja, _ in per_file.values())
    control = sum(only_tags for _, _, only_tags in per_file.values())
    print(f"template lines: {lines}")
    print(f"lines with Jinja: {jinja} ({jinja / lines:.1%})")
    print(f"control lines (a block tag alone): {control} ({control / lines:.1%})")
    heaviest = sorted(per_file.items(), key=lambda item: -item[1][1])[: options.by_file]
    for name, (total, with_jinja, _) in heaviest:
        print(f"  {with_jinja:5d} / {total:5d}  {name}")


if __name__ == "__main__":
    main()
