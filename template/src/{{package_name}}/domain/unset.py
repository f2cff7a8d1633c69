"""Partial updates: what "not given" is, and how an entity takes its changes.

:data:`UNSET` marks a field left out, distinct from ``None`` (which may be a valid new
value); :func:`take_changes` applies a changed copy of an entity to the entity.
"""

import enum
from typing import Final


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = enum.auto()


#: A field left out of a partial update.
UNSET: Final = Unset.UNSET


def given_or[T](value: T | Unset, current: T) -> T:
    """Return ``value``, or ``current`` when ``value`` was not given."""
    return current if isinstance(value, Unset) else value


#: What every entity holds that no change of its fields writes.
_FIXED: Final = frozenset(
    {"id", "tenant_id", "created_by", "created_at", "updated_at", "version", "events"}
)


def take_changes(entity: object, updated: object) -> tuple[str, ...]:
    """Give ``entity`` each value of ``updated`` (a changed copy of it) that differs.

    Returns:
        The names of the fields that changed, in the order the entity declares them.
    """
    current, new = vars(entity), vars(updated)
    changed = tuple(
        name for name, value in current.items() if name not in _FIXED and new[name] != value
    )
    for name in changed:
        setattr(entity, name, new[name])
    return changed
