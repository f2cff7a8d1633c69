"""The domain's invariants of a field, as the Python the rendered ``check_invariants`` runs.

The same declared constraints become Pydantic ``Field`` arguments (the API), ``CHECK``
constraints (the database), rules in words (the docs) and violations (the tests); this is
their form in the domain, one :class:`Invariant` per rule.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.entities.fields import FieldSpec

_LIMIT = "  # noqa: PLR2004 - the declared limit"


@dataclass(frozen=True, slots=True)
class Invariant:
    """``if <condition>:<comment>`` followed by the lines that raise."""

    condition: str
    body: tuple[str, ...]
    comment: str = ""


def _raise(field: str, message: str) -> str:
    return f'raise InvariantError(field="{field}", message="{message}")'


def invariants(field: "FieldSpec") -> list[Invariant]:
    """The invariants of ``field``: never blank text, lengths, pattern, bounds."""
    name = field.name
    guard = f"{name} is not None and " if field.nullable else ""
    if field.type in {"str", "text"}:
        found = [Invariant(f"{guard}not {name}.strip()", (_raise(name, "must not be blank"),))]
        if field.min_length and field.min_length > 1:
            message = f"at least {field.min_length} characters"
            condition = f"{guard}len({name}) < {field.min_length}"
            found.append(Invariant(condition, (_raise(name, message),), _LIMIT))
        if field.type == "str":
            message = f"at most {field.max_length} characters"
            condition = f"{guard}len({name}) > {field.max_length}"
            found.append(Invariant(condition, (_raise(name, message),), _LIMIT))
        if field.pattern:
            pattern = f"{name.upper()}_PATTERN"
            body = (
                f'message = f"must match {{{pattern}.pattern}}"',
                f'raise InvariantError(field="{name}", message=message)',
            )
            found.append(Invariant(f"{guard}{pattern}.fullmatch({name}) is None", body))
        return found
    found = []
    if field.minimum is not None:
        condition = f"{guard}{name} < {field.literal(field.minimum)}"
        message = f"at least {field.minimum}"
        found.append(Invariant(condition, (_raise(name, message),), field.noqa(field.minimum)))
    if field.maximum is not None:
        condition = f"{guard}{name} > {field.literal(field.maximum)}"
        message = f"at most {field.maximum}"
        found.append(Invariant(condition, (_raise(name, message),), field.noqa(field.maximum)))
    return found
