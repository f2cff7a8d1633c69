"""Field kinds: one object per field type, with everything that differs between types.

A kind knows its Python type, its column type, which constraints apply to it, how a
declared value (a bound, a default) is read, the two samples the rendered tests use for an
unconstrained field, and a JSON value of the wrong type that the API refuses. Adding a type
is adding one :class:`FieldKind` to :data:`KINDS`.
"""

import datetime
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, TypeAlias

from generator.entities.declared import EntityRuleError

#: Decimal columns hold 18 digits, 4 of them after the point.
DECIMAL_PLACES: Final = 4

Bound: TypeAlias = int | float | Decimal | datetime.date | datetime.datetime

#: The two texts of an unconstrained ``text`` field.
TEXTS: Final = ("Some longer text.", "Other text.")
#: The version and variant bits of the sample uuids, ``00000000-0000-4000-8000-...``.
UUID_BASE: Final = (0x4000 << 64) | (0x8000 << 48)


class WrongValueError(ValueError):
    """A declared value is not a value of the kind; ``detail`` overrides the usual message."""

    def __init__(self, detail: str = "") -> None:
        """Keep the detail (a message after ``<where>: <key> <value>``), if any."""
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FieldKind:
    """One field type and everything the generator writes differently for it."""

    name: str
    #: The Python type, as the rendered code spells it.
    python_type: str
    #: The SQLAlchemy column type; ``None`` when it depends on the field (str, enum).
    column: str | None
    #: A JSON value of the wrong type (or shape) the API refuses with 422, as Python.
    invalid_json: str
    #: Sample and other sample of an unconstrained field.
    samples: tuple[object, object] | None
    #: Reads a declared value (bound, default) of this kind; raises :class:`WrongValueError`.
    read: Callable[[object], object]
    #: The first sample of a bounded field without a lower bound (counting from it).
    start: Bound | None = None
    textual: bool = False
    bounded: bool = False
    sortable: bool = False
    unique: bool = False
    #: The column type is defined by the rendered ``orm`` module, not SQLAlchemy.
    own_column: bool = False

    def coerce(self, where: str, key: str, value: object) -> object:
        """Check that ``value`` is a value of this kind and return it typed.

        Raises:
            EntityRuleError: It is not; the message names where, the key and the value.
        """
        if isinstance(value, bool) and self.name != "bool":
            raise EntityRuleError(f"{where}: {key} {value!r} is not a valid {self.name} value")
        try:
            return self.read(value)
        except WrongValueError as error:
            detail = error.detail or f"is not a valid {self.name} value"
            raise EntityRuleError(f"{where}: {key} {value!r} {detail}") from None


def _of(*types: type) -> Callable[[object], object]:
    def read(value: object) -> object:
        if not isinstance(value, types):
            raise WrongValueError
        return value

    return read


def _float(value: object) -> object:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise WrongValueError
    return float(value)


def _decimal(value: object) -> object:
    try:
        number = Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise WrongValueError
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        raise WrongValueError(f"has more than {DECIMAL_PLACES} decimal places")
    return number


def _date(value: object) -> object:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date | str):
        raise WrongValueError
    try:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    except ValueError:
        raise WrongValueError from None


def _datetime(value: object) -> object:
    try:
        moment = (
            value
            if isinstance(value, datetime.datetime)
            else datetime.datetime.fromisoformat(str(value))
        )
    except ValueError:
        raise WrongValueError from None
    if moment.tzinfo is None:
        raise WrongValueError("needs a time zone (e.g. 2030-01-01T00:00:00Z)")
    return moment.astimezone(datetime.UTC)


def _uuid(value: object) -> object:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise WrongValueError from None


def _never(value: object) -> object:
    raise WrongValueError


#: The first days of the date and datetime samples.
_DAY, _OTHER_DAY = datetime.date(2030, 1, 31), datetime.date(2031, 6, 1)


def _moment(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


#: Every field type, in the order messages list them.
KINDS: Final[dict[str, FieldKind]] = {
    kind.name: kind
    for kind in (
        FieldKind("str", "str", None, '""', ("alpha", "beta"), _of(str),
                  textual=True, sortable=True, unique=True),
        FieldKind("text", "str", "Text()", "12", TEXTS, _of(str), textual=True),
        FieldKind("int", "int", "Integer()", '"seven"', (7, 8), _of(int), start=7,
                  bounded=True, sortable=True, unique=True),
        FieldKind("float", "float", "Float()", '"fast"', (1.5, 2.5), _float, start=1.5,
                  bounded=True, sortable=True),
        FieldKind("decimal", "Decimal", "ExactDecimal()", '"12.34567"',
                  (Decimal("12.3400"), Decimal("56.7800")), _decimal, start=Decimal("12.34"),
                  bounded=True, unique=True, own_column=True),
        FieldKind("bool", "bool", "Boolean()", '"perhaps"', (True, False), _of(bool)),
        FieldKind("date", "datetime.date", "Date()", '"2030-02-30"',
                  (_DAY, _OTHER_DAY), _date, start=_DAY, bounded=True, sortable=True, unique=True),
        FieldKind("datetime", "datetime.datetime", "UtcDateTime()", '"yesterday"',
                  (_moment(_DAY, 12, 0), _moment(_OTHER_DAY, 8, 30)), _datetime,
                  start=_moment(_DAY, 12, 0), bounded=True, sortable=True, unique=True,
                  own_column=True),
        FieldKind("uuid", "uuid.UUID", "Uuid()", '"not-a-uuid"',
                  (uuid.UUID(int=UUID_BASE | 1), uuid.UUID(int=UUID_BASE | 2)), _uuid,
                  unique=True),
        FieldKind("enum", "str", None, '"not-a-value"', None, _never, sortable=True,
                  unique=True),
    )
}  # fmt: skip

FIELD_TYPES: Final = tuple(KINDS)
#: Field types a ``unique`` constraint applies to (exact values with a bounded index).
UNIQUE_TYPES: Final = frozenset(name for name, kind in KINDS.items() if kind.unique)
#: Field types a list may be sorted by. Not decimal (SQLite stores it as text, which
#: sorts "10" before "9"), nor text, bool and uuid (no useful order).
SORTABLE_TYPES: Final = frozenset(name for name, kind in KINDS.items() if kind.sortable)
#: Field types ``min`` and ``max`` apply to.
BOUNDED_TYPES: Final = tuple(name for name, kind in KINDS.items() if kind.bounded)
#: Column types the rendered ``orm`` module defines (the others come from SQLAlchemy).
OWN_COLUMN_TYPES: Final = frozenset(
    kind.column.split("(")[0] for kind in KINDS.values() if kind.own_column and kind.column
)
