"""A marker for "not given", distinct from ``None`` (which may be a valid new value)."""

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
