"""Data literals are written as ruff format writes them: a table renders formatted."""

import subprocess
import sys

import pytest

from generator.pyliteral import Raw, call, flat, layout, mapping, sequence, text


def _formatted(source: str) -> str:
    """``source`` as the installed ruff (a test dependency) formats it."""
    command = [sys.executable, "-m", "ruff", "format", "--line-length", "100"]
    command += ["--stdin-filename", "t.py", "-"]
    return subprocess.run(command, input=source, capture_output=True, text=True, check=True).stdout


def test_short_nodes_stay_on_one_line_and_one_item_tuples_keep_their_comma() -> None:
    node = call("Case", {"name": text("Tag"), "needs": sequence([text("Tag")], "tuple")})

    assert layout(node) == 'Case(name="Tag", needs=("Tag",))'
    assert flat(sequence([], "set")) == "set()"
    assert flat(mapping({})) == "{}"


@pytest.mark.parametrize("width", [10, 30, 60, 95])
def test_long_nodes_break_as_ruff_format_breaks_them(width: int) -> None:
    words = [text("w" * n) for n in range(1, width // 8)]
    node = call(
        "Case",
        {
            "valid": mapping({f"field_{n}": Raw(str(n) * n) for n in range(1, width // 10 + 2)}),
            "words": sequence(words, "tuple"),
            "nested": mapping({"x": sequence([sequence(words, "list")] * 2, "list")}),
            "empty": sequence([], "list"),
        },
    )
    source = f"CASES = {{\n    {layout(node, 4, 'X: ', ',')}\n}}\n"

    assert _formatted(source) == source
