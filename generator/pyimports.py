"""Rendered Python as ruff writes it: tidy import blocks, calls laid out to the line length.

A template lists every import its module *may* need, in plain lines; after rendering,
:func:`tidy_imports` drops the names the module does not use, merges imports of one
module, and orders the block the way ``ruff check --select I`` (isort, with the rendered
project's settings) writes it. So templates build no import lists in Jinja, and a render
needs no subprocess: this is pure text processing, deterministic for the same input.

Only the leading block is touched (after the module docstring, up to the first other
statement); a block with a comment in it is left exactly as written. Rendered modules use
Python 3.12+ syntax the generator's own interpreter may not parse, so names are found with
a lexical scan (a regular expression), not :mod:`ast`.
"""

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from generator.entities.declared import LINE_LENGTH

_STATEMENT = re.compile(
    r"^(?:import (?P<modules>[\w. ,]+)|from (?P<module>[\w.]+) import ?(?P<names>\(?[\w ,]*\)?))$"
)
#: A string that reads as a forward reference (``"Redis"``, ``"list[Task]"``), not prose.
_ANNOTATION = re.compile(r"^[A-Za-z_][\w.]*(?:\[[\w., |\[\]]*\])?(?: \| [\w.\[\], |]+)*$")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_FIELD = re.compile(r"\{([^{}]*)\}")
#: A lexical scan of a module: strings (any prefix and quotes), comments, attribute names
#: after a dot, and names. A regular expression rather than :mod:`tokenize`: it runs for
#: every rendered module, and the pure-Python tokenizer cost about a second per render.
_TOKEN = re.compile(
    r"(?P<prefix>[rRbBuUfF]{0,2})(?P<quote>\"\"\"|'''|\"|')"
    r"(?P<body>(?:\\.|(?!(?P=quote)).)*)(?P=quote)"
    r"|#[^\n]*"
    r"|\.\s*[A-Za-z_]\w*"
    r"|(?P<name>[A-Za-z_]\w*)(?P<binds>[ \t]*=(?!=))?",
    re.DOTALL,
)


@dataclass
class _From:
    module: str
    names: list[str] = field(default_factory=list)  # "name" or "name as alias"
    exploded: bool = False


def _bound(name: str) -> str:
    """The name an import binds: ``b`` for ``a as b``, ``a`` for ``a.b``."""
    if " as " in name:
        return name.split(" as ", 1)[1].strip()
    return name.split(".", 1)[0]


def _member_key(name: str) -> tuple[int, str]:
    """Isort's order-by-type: CONSTANTS, then Classes, then the rest; by name in each."""
    plain = name.split(" as ", 1)[0]
    if plain.isupper() and len(plain) > 1:
        return (0, plain)
    return (1, plain) if plain[:1].isupper() else (2, plain)


def from_import(module: str, names: Iterable[str], *, exploded: bool = False) -> str:
    """Write ``from module import names`` as ruff's isort does (wrapped past 100 columns)."""
    ordered = sorted(dict.fromkeys(names), key=_member_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= LINE_LENGTH and not exploded:
        return line
    body = "".join(f"    {name},\n" for name in ordered)
    return f"from {module} import (\n{body})"


def _section(module: str, first_party: set[str], local: set[str]) -> int:
    top = module.split(".", 1)[0]
    if top == "__future__":
        return 0
    if top in local:
        return 4
    if top in first_party:
        return 3
    return 1 if top in sys.stdlib_module_names else 2


def _used_names(code: str) -> set[str]:
    """Every identifier the code uses: names outside strings, comments and attributes.

    ``x.name`` is an attribute, not a use of ``name``, and ``f(name=...)`` binds a
    keyword; an f-string's fields are code; a string that reads as a forward reference
    (``"Redis"``) uses the classes it names.
    """
    used: set[str] = set()
    for match in _TOKEN.finditer(code):
        if match["name"]:
            if not (match["binds"] and _binding(code, match.start())):
                used.add(match["name"])
        elif match["quote"]:
            body = match["body"]
            if "f" in match["prefix"].lower():
                fields = body.replace("{{", "").replace("}}", "")
                for expression in _FIELD.findall(fields):
                    used.update(_IDENTIFIER.findall(expression))
            elif _ANNOTATION.fullmatch(body):
                used.update(name for name in _IDENTIFIER.findall(body) if name[0].isupper())
    return used


def _binding(code: str, start: int) -> bool:
    """Whether the name before ``=`` at ``start`` is bound there, not used.

    A keyword argument (``f(parent_id=None)``) or an assignment at the start of a line;
    after ``:`` it is an annotation (``x: Foo = ...`` uses ``Foo``).
    """
    index = start - 1
    while index >= 0 and code[index] in " \t":
        index -= 1
    return index < 0 or code[index] in "(,\n"


def _block(lines: list[str]) -> tuple[int, int] | None:
    """``(first, end)`` line indexes of the leading import statements, if any."""
    index = 0
    if lines and lines[0].startswith('"""'):
        closing = 0 if lines[0].count('"""') >= 2 and len(lines[0]) > 3 else None  # noqa: PLR2004
        if closing is None:
            closing = next(i for i in range(1, len(lines)) if '"""' in lines[i])
        index = closing + 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    first = index
    end = first
    while index < len(lines):
        line = lines[index]
        if line.startswith(("import ", "from ")):
            if line.endswith("("):
                while not lines[index].startswith(")"):
                    index += 1
            index += 1
            end = index
        elif not line.strip():
            index += 1
        else:
            break
    return (first, end) if end > first else None


def _statements(lines: list[str]) -> list[str] | None:
    """The block's statements, one line each; ``None`` if a line holds a comment."""
    parts: list[str] = []
    for line in lines:
        if "#" in line:
            return None
        if line.startswith(("import ", "from ")):
            parts.append(line.strip())
        elif line.strip():
            parts[-1] += " " + line.strip()
    return [part.replace("( ", "(").replace(", )", ",)") for part in parts]


def _kept(
    parts: list[str], used: set[str]
) -> tuple[list[str], dict[tuple[str, bool], _From]] | None:
    """The straight imports and the from-imports (by module, aliased or not) still used."""
    straight: list[str] = []
    froms: dict[tuple[str, bool], _From] = {}
    for part in parts:
        match = _STATEMENT.match(part)
        if match is None:
            return None
        if match["modules"]:
            names = (item.strip() for item in match["modules"].split(","))
            straight += [name for name in names if _bound(name) in used]
            continue
        module, raw = match["module"], match["names"]
        for name in (item.strip() for item in raw.strip("()").split(",")):
            if name and (module == "__future__" or _bound(name) in used):
                aliased = " as " in name
                entry = froms.setdefault((module, aliased), _From(module))
                entry.names.append(name)
                # A trailing comma inside the parentheses keeps it one name a line, as in ruff.
                entry.exploded = entry.exploded or (raw.endswith(",)") and not aliased)
    return straight, froms


def tidy_imports(text: str, first_party: Iterable[str], local: Iterable[str] = ("tests",)) -> str:
    """Drop unused imports from the module's leading block and order it as isort does.

    Args:
        text: The rendered module.
        first_party: Top-level packages of the project (``src``).
        local: Top-level local folders (``known-local-folder``).

    Returns:
        The module with its import block rewritten (unchanged if it has none, or if the
        block holds a comment or a statement this does not read).
    """
    lines = text.split("\n")
    span = _block(lines)
    if span is None:
        return text
    first, end = span
    parts = _statements(lines[first:end])
    kept = None if parts is None else _kept(parts, _used_names("\n".join(lines[end:])))
    if kept is None:
        return text
    straight, froms = kept
    ours, folders = set(first_party), set(local)
    sections: dict[int, list[str]] = {}
    for name in sorted(dict.fromkeys(straight), key=lambda item: (item.lower(), item)):
        kind = _section(name.split(" as ", 1)[0], ours, folders)
        sections.setdefault(kind, []).append(f"import {name}")
    for (module, aliased), entry in sorted(
        froms.items(), key=lambda item: (item[0][0].lower(), item[0][0], item[0][1])
    ):
        statements = sections.setdefault(_section(module, ours, folders), [])
        if aliased:
            statements.extend(f"from {module} import {name}" for name in sorted(entry.names))
        else:
            statements.append(from_import(module, entry.names, exploded=entry.exploded))
    block = "\n\n".join("\n".join(sections[key]) for key in sorted(sections))
    return "\n".join([*lines[:first], *([block] if block else []), *lines[end:]])


def wrapped(
    items: list[str],
    head: str = "",
    *,
    indent: int,
    tail: str = "",
    hug: bool = False,
    one_tuple: bool = False,
) -> str:
    """``head(items)tail`` laid out as ruff format writes it, from column ``indent``.

    On one line when it fits in the rendered project's 100 columns (and no item spans
    lines); otherwise one item per line with trailing commas, or, with ``hug``, the single
    item alone on an indented line. ``one_tuple`` writes a one-item tuple's comma.
    """
    inner = ", ".join(items) + ("," if one_tuple and len(items) == 1 else "")
    line = f"{head}({inner}){tail}"
    if indent + len(line) <= LINE_LENGTH and not any("\n" in item for item in items):
        return line
    pad, closing = " " * (indent + 4), " " * indent
    if hug:
        return f"{head}(\n{pad}{inner}\n{closing}){tail}"
    body = "".join(f"{pad}{item},\n" for item in items)
    return f"{head}(\n{body}{closing}){tail}"
