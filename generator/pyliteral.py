"""Python data literals laid out as ruff format writes them: the rendered tests' tables.

A node is written on one line when it fits in the rendered project's 100 columns;
otherwise each item goes on a line of its own, with a trailing comma (which ruff keeps:
its magic trailing comma), and the same rule applies to each item. Leaves are Python
expressions already written (``Raw``), such as the sample values of
:mod:`generator.entities.fields`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from generator.entities.declared import LINE_LENGTH
from generator.naming import quoted


@dataclass(frozen=True)
class Raw:
    """An expression written as it is."""

    text: str


@dataclass(frozen=True)
class Items:
    """Brackets around items, each with what precedes it (``name=``, ``"key": ``)."""

    opening: str
    closing: str
    items: tuple[tuple[str, "Node"], ...]
    #: What an empty one is written as, and whether one item needs a comma (a tuple).
    empty: str
    one_comma: bool = False


Node: TypeAlias = Raw | Items


def text(value: str) -> Raw:
    """A string literal."""
    return Raw(quoted(value))


def call(name: str, arguments: Mapping[str, Node]) -> Items:
    """``name(key=value, ...)``."""
    items = tuple((f"{key}=", value) for key, value in arguments.items())
    return Items(f"{name}(", ")", items, f"{name}()")


def mapping(entries: Mapping[str, Node]) -> Items:
    """A dict with string keys."""
    items = tuple((f"{quoted(key)}: ", value) for key, value in entries.items())
    return Items("{", "}", items, "{}")


def sequence(values: Sequence[Node], kind: str = "list") -> Items:
    """A list, tuple or set of the values."""
    items = tuple(("", value) for value in values)
    if kind == "tuple":
        return Items("(", ")", items, "()", one_comma=True)
    if kind == "set":
        return Items("{", "}", items, "set()")
    return Items("[", "]", items, "[]")


def flat(node: Node) -> str:
    """The node on one line."""
    if isinstance(node, Raw):
        return node.text
    if not node.items:
        return node.empty
    inner = ", ".join(prefix + flat(item) for prefix, item in node.items)
    comma = "," if node.one_comma and len(node.items) == 1 else ""
    return f"{node.opening}{inner}{comma}{node.closing}"


def layout(node: Node, indent: int = 0, head: str = "", tail: str = "") -> str:
    """``head``, the node and ``tail``, starting at column ``indent``; later lines indented."""
    line = f"{head}{flat(node)}{tail}"
    if isinstance(node, Raw) or not node.items or indent + len(line) <= LINE_LENGTH:
        return line
    pad = " " * (indent + 4)
    body = "".join(f"{pad}{layout(item, indent + 4, prefix, ',')}\n" for prefix, item in node.items)
    return f"{head}{node.opening}\n{body}{' ' * indent}{node.closing}{tail}"
