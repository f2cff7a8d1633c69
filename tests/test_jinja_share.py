"""At most a tenth of the template's lines carry Jinja (issue 17), measured as the bench does."""

import importlib.util
from pathlib import Path
from types import ModuleType

#: The script that measures the share (``python bench/jinja_share.py``).
BENCH = Path(__file__).resolve().parents[1] / "bench" / "jinja_share.py"
#: The most of the template's lines that may carry Jinja.
GOAL = 0.10


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jinja_share", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_at_most_a_tenth_of_the_template_lines_carry_jinja() -> None:
    per_file: dict[str, tuple[int, int, int]] = bench().measure()
    lines = sum(total for total, _, _ in per_file.values())
    jinja = sum(with_jinja for _, with_jinja, _ in per_file.values())
    heaviest = sorted(per_file.items(), key=lambda item: -item[1][1])[:5]

    assert lines > 10_000  # the template, not an empty folder
    assert jinja <= GOAL * lines, (
        f"{jinja} of {lines} template lines carry Jinja ({jinja / lines:.1%}, goal "
        f"{GOAL:.0%}); heaviest: {[(name, with_jinja) for name, (_, with_jinja, _) in heaviest]}"
    )
