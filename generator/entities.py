"""The ``entities`` answer: what users declare, its rules, and what the template renders.

For each entity the template needs names, Python and SQL types and sample values; they
are computed here, once, and handed to the template by the ``entity_spec`` filters.

An entity in ``copier.yml`` (YAML)::

    - name: Task                      # PascalCase, unique
      fields:                         # snake_case names, in order
        title: {type: str, max_length: 200}
        description: text?            # "?" makes a field nullable
        due_date: date?
        assignee_id: str?
      workflow:                       # optional status state machine
        field: status                 # the column holding the state (default "status")
        initial: todo
        transitions:                  # state -> the states it may move to
          todo: [in_progress, cancelled]
          in_progress: [done, todo, cancelled]
          done: [cancelled]
          cancelled: []
      ownership: [assignee_id]        # str fields whose value, a user id, grants that user
                                      # the same rights over the row as its creator

Fields may carry constraints, be enums, or relate to other entities::

    - name: Project
      fields:
        code: {type: str, max_length: 12, pattern: "[A-Z]+-[0-9]+",
               examples: [ACME-1, ACME-2], unique: true}    # unique within one tenant
        budget: {type: "decimal?", min: 0, max: 1000000}
    - name: Task
      fields:
        title: {type: str, min_length: 3, max_length: 200}
        priority: {enum: [low, medium, high], default: medium}
        project: {belongs_to: Project, on_delete: cascade}  # column project_id, required
        parent: {belongs_to: "Task?", on_delete: set_null}  # optional self-reference
        tags: {many: Tag}                                    # association table task_tags
      list: {filter: [priority], sort: [title, created_at]}  # ?priority=high&sort=-title

Every rule is checked here, once; each message names the entity, the field and the rule.
"""

import datetime
import json
import keyword
import math
import re
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator import naming

FieldType = Literal[
    "str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid", "enum"
]  # fmt: skip
FIELD_TYPES: Final[tuple[str, ...]] = (
    "str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid", "enum",
)  # fmt: skip
DEFAULT_MAX_LENGTH: Final = 255
#: The rendered project's line length (ruff).
LINE_LENGTH: Final = 100
MAX_LENGTH_LIMIT: Final = 10_000
MAX_ENTITIES: Final = 100
#: Name lengths that keep every rendered line within 100 columns.
MAX_ENTITY_NAME: Final = 20
MAX_FIELD_NAME: Final = 20
MAX_STATE_NAME: Final = 20

#: Columns every entity gets from the template itself.
RESERVED_FIELDS: Final = frozenset(
    {"id", "tenant_id", "created_by", "created_at", "updated_at", "version"}
)
#: Attribute names of Pydantic models and SQLAlchemy declarative classes.
_SHADOWING_FIELDS: Final = frozenset(
    {"copy", "dict", "json", "schema", "validate", "construct", "fields", "metadata", "registry"}
)
#: Class names the rendered code already uses next to entity classes.
RESERVED_ENTITY_NAMES: Final = frozenset(
    {
        "Any", "Base", "Date", "Datetime", "Decimal", "Depends", "DomainError", "Entity",
        "Enum", "Event", "Field", "Page", "Permission", "Principal", "Query", "Request",
        "Response", "Role", "Settings", "Tenant", "TenantId", "Uuid",
    }
)  # fmt: skip
#: Modules the rendered packages hold beside the entities' own (``application/<module>.py``).
RESERVED_MODULES: Final = frozenset(
    {
        "auth", "bus", "cache", "errors", "events", "handlers", "links", "messages",
        "realtime", "references", "relations", "tenancy", "unit_of_work", "unset",
    }
)  # fmt: skip
_PASCAL = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_TYPE = re.compile(r"(?P<type>[a-z]+)(?P<nullable>\??)")


class EntityRuleError(ValueError):
    """An entity broke a rule; the message names the entity, the field and the rule."""


class Workflow(BaseModel):
    """A status state machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = "status"
    initial: str
    transitions: dict[str, list[str]] = Field(min_length=2)


class ListingAnswer(BaseModel):
    """What the list endpoint may filter and sort by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filter: list[str] = []
    sort: list[str] = []


class EntityAnswer(BaseModel):
    """One entity as the user wrote it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    fields: dict[str, str | dict[str, Any]] = Field(min_length=1)
    workflow: Workflow | None = None
    ownership: list[str] = []
    listing: ListingAnswer | None = Field(default=None, alias="list")

    @field_validator("fields", mode="before")
    @classmethod
    def _fields_are_a_mapping(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return dict(value)
        message = "must be a mapping of field name to type"
        raise ValueError(message)


ON_DELETE: Final[tuple[str, ...]] = ("restrict", "cascade", "set_null")
#: Field types a ``unique`` constraint applies to (exact values with a bounded index).
UNIQUE_TYPES: Final = frozenset({"str", "int", "decimal", "date", "datetime", "uuid", "enum"})
#: Distinct valid values a unique field must admit: the rendered tests create up to this
#: many rows of one entity in one tenant, each with its own value.
UNIQUE_ROWS: Final = 8
MAX_ENUM_VALUES: Final = 50
#: Decimal columns hold 18 digits, 4 of them after the point.
DECIMAL_PLACES: Final = 4

Bound: TypeAlias = int | float | Decimal | datetime.date | datetime.datetime


@dataclass(frozen=True, slots=True)
class Relation:
    """A many-to-one reference: the field ``<name>_id`` holds the id of a ``target`` row."""

    name: str
    target: str
    on_delete: str


@dataclass(frozen=True, slots=True)
class Many:
    """A many-to-many relation through an association table."""

    name: str
    target: str
    owner: str

    @property
    def table(self) -> str:
        """The association table: ``task_tags``."""
        return f"{naming.snake_case(self.owner)}_{self.name}"

    @property
    def owner_column(self) -> str:
        """The column holding the owner's id: ``task_id``."""
        return f"{naming.snake_case(self.owner)}_id"

    @property
    def target_column(self) -> str:
        """The column holding the target's id: ``tag_id``."""
        return f"{naming.singular(self.name)}_id"

    @property
    def pair(self) -> str:
        """The owner and one target in PascalCase, for message names: ``TaskTag``."""
        return f"{self.owner}{naming.pascal_case(naming.singular(self.name))}"

    @property
    def fk_owner(self) -> str:
        """The foreign key from the association table to the owner.

        Named by role, not column: PostgreSQL cuts names at 63 characters, and a table
        named by two 20-character names plus a column would pass that.
        """
        return f"fk_{self.table}_owner"

    @property
    def fk_target(self) -> str:
        """The foreign key from the association table to the target."""
        return f"fk_{self.table}_target"

    @property
    def target_index(self) -> str:
        """The index that finds the links of one target: deletes of a target use it."""
        return f"ix_{self.table}_target"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field with everything the template writes for it."""

    name: str
    type: str
    nullable: bool
    max_length: int | None
    min_length: int | None = None
    minimum: Bound | None = None
    maximum: Bound | None = None
    pattern: str | None = None
    examples: tuple[str, ...] = ()
    default: object = None
    has_default: bool = False
    unique: bool = False
    values: tuple[str, ...] = ()
    enum_class: str | None = None
    relation: Relation | None = None

    @property
    def python_type(self) -> str:
        """The Python type, e.g. ``Decimal`` or ``datetime.date``."""
        if self.enum_class is not None:
            return self.enum_class
        return _PYTHON_TYPES[self.type]

    @property
    def annotation(self) -> str:
        """The annotation, ``| None`` for a nullable field."""
        return f"{self.python_type} | None" if self.nullable else self.python_type

    @property
    def row_annotation(self) -> str:
        """The annotation of its ORM column: enums are stored as their text."""
        if self.type == "enum":
            return "str | None" if self.nullable else "str"
        return self.annotation

    @property
    def unset_annotation(self) -> str:
        """The annotation of a partial-update argument: may be :data:`UNSET`."""
        suffix = " | Unset | None" if self.nullable else " | Unset"
        return self.python_type + suffix

    @property
    def constrained(self) -> bool:
        """Whether it declares a constraint beyond its type (and ``max_length``)."""
        return (
            self.min_length is not None
            or self.pattern is not None
            or self.minimum is not None
            or self.maximum is not None
        )

    @property
    def schema_alias(self) -> str | None:
        """Name of the constrained request type its schema module defines, if any."""
        if self.type == "enum":
            return None
        if self.constrained:
            return f"{naming.pascal_case(self.name)}Value"
        aliases = {"text": "Text", "float": "FiniteFloat", "decimal": "Amount"}
        if self.type == "str":
            return f"Str{self.max_length}"
        return aliases.get(self.type)

    @property
    def schema_alias_definition(self) -> str:
        """The definition of :attr:`schema_alias`, wrapped as ruff formats it."""
        base = "AwareDatetime" if self.type == "datetime" else self.python_type
        line = f"Annotated[{base}, Field({self.constraints})]"
        if len(f"{self.schema_alias} = {line}") <= LINE_LENGTH:
            return line
        arguments = f"Field({self.constraints}),"
        if len(arguments) + 4 > LINE_LENGTH:
            inner = "".join(f"        {part},\n" for part in self.constraints.split(", "))
            arguments = f"Field(\n{inner}    ),"
        return f"Annotated[\n    {base},\n    {arguments}\n]"

    def noqa(self, bound: object) -> str:
        """`` # noqa: PLR2004`` after a comparison with ``bound`` if ruff calls it magic."""
        if self.type in {"int", "float"} and bound not in {0, 1, -1}:
            return "  # noqa: PLR2004 - the declared limit"
        return ""

    @property
    def schema_annotation(self) -> str:
        """The annotation of its request field: constrained, and aware for datetimes."""
        plain = "AwareDatetime" if self.type == "datetime" else self.python_type
        base = self.schema_alias or plain
        return f"{base} | None" if self.nullable else base

    @property
    def schema_default(self) -> str:
        """`` = <value>`` after a request field that may be left out, else ``""``."""
        if self.has_default:
            return f" = {self.literal(self.default)}"
        return " = None" if self.nullable else ""

    @property
    def compare(self) -> str:
        """How tests compare a value of this field with a sample: ``is`` for booleans."""
        if self.type == "bool" or (self.relation is not None and self.nullable):
            return "is"  # booleans, and optional relations (their samples are None)
        return "=="

    @property
    def column_type(self) -> str:
        """The SQLAlchemy type expression of its column."""
        if self.type == "str":
            return f"String({self.max_length})"
        if self.type == "enum":
            return f"String({max(map(len, self.values))})"
        return _COLUMN_TYPES[self.type]

    @property
    def constraints(self) -> str:
        """Pydantic ``Field`` arguments that validate a request value."""
        parts: list[str] = []
        if self.type in {"str", "text"}:
            parts.append(f"min_length={self.min_length or 1}")
            if self.max_length is not None:
                parts.append(f"max_length={self.max_length}")
            if self.pattern is not None:
                parts.append(f"pattern={json.dumps(self.anchored_pattern)}")
        if self.minimum is not None:
            parts.append(f"ge={self.literal(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"le={self.literal(self.maximum)}")
        if self.type == "float":
            parts.append("allow_inf_nan=False")
        if self.type == "decimal":
            parts.append("allow_inf_nan=False, max_digits=18, decimal_places=4")
        return ", ".join(parts)

    @property
    def anchored_pattern(self) -> str | None:
        """The pattern as validated: it must match the whole value."""
        return None if self.pattern is None else f"^(?:{self.pattern})$"

    @property
    def check(self) -> str | None:
        """A portable SQL ``CHECK`` expression for its column, if it has one.

        Enums list their values; ``int`` and ``float`` bounds compare numbers. Other
        constraints (lengths, patterns, decimal and date bounds) are the API's and the
        domain's: SQLite stores decimals and timestamps as text, and has no regular expressions.
        """
        if self.type == "enum":
            values = ", ".join(f"'{value}'" for value in self.values)
            return f"{self.name} IN ({values})"
        if self.type not in {"int", "float"}:
            return None
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{self.name} >= {self.minimum!r}")
        if self.maximum is not None:
            bounds.append(f"{self.name} <= {self.maximum!r}")
        return " AND ".join(bounds) or None

    @property
    def default_json(self) -> str:
        """:attr:`default` as the API writes it in JSON, as a Python expression."""
        return _json_literal(self.default)

    def literal(self, value: object) -> str:
        """``value`` (of this field's type) as a Python expression."""
        if self.type == "enum":
            return f"{self.enum_class}.{str(value).upper()}"
        return _literal(value)

    @property
    def sample(self) -> str:
        """A valid value as a Python expression."""
        return self._samples[0]

    @property
    def other_sample(self) -> str:
        """A second valid value, different from :attr:`sample`, as a Python expression."""
        return self._samples[1]

    @property
    def sample_json(self) -> str:
        """:attr:`sample` as a JSON value, as a Python expression."""
        return self._samples[2]

    @property
    def other_sample_json(self) -> str:
        """:attr:`other_sample` as a JSON value, as a Python expression."""
        return self._samples[4]

    @property
    def rules(self) -> list[str]:
        """Its declared constraints in words, for the rendered docs (Markdown)."""
        found: list[str] = []
        if self.relation is not None:
            action = self.relation.on_delete.replace("_", " ")
            found.append(f"a {self.relation.target} of the same tenant; deleting it: {action}")
        if self.values:
            found.append(f"one of {', '.join(self.values)}")
        if self.min_length is not None:
            found.append(f"at least {self.min_length} characters")
        if self.max_length is not None:
            found.append(f"at most {self.max_length} characters")
        if self.pattern is not None:
            escaped = (self.anchored_pattern or "").replace("|", "\\|")
            found.append(f"matches `{escaped}`")
        if self.minimum is not None:
            found.append(f"≥ {_words(self.minimum)}")
        if self.maximum is not None:
            found.append(f"≤ {_words(self.maximum)}")
        if self.has_default:
            found.append(f"default {json.dumps(json_value(self.default))}")
        if self.unique:
            found.append("unique per tenant")
        return found

    @property
    def distinct_samples(self) -> list[str]:
        """Up to :data:`UNIQUE_ROWS` distinct valid values, as Python expressions."""
        return [self.literal(value) for value in distinct_values(self, UNIQUE_ROWS)]

    @property
    def distinct_samples_json(self) -> list[str]:
        """:attr:`distinct_samples` as JSON values, as Python expressions."""
        return [_json_literal(value) for value in distinct_values(self, UNIQUE_ROWS)]

    @property
    def invalid_json(self) -> str:
        """A JSON value the API must refuse with 422, as a Python expression."""
        return self._samples[3]

    @property
    def plain(self) -> bool:
        """Whether it declares nothing beyond its type: its samples are fixed per type."""
        return not self.constrained and self.type != "enum"

    @property
    def _samples(self) -> tuple[str, str, str, str, str]:
        if self.relation is not None and self.nullable:
            # An optional relation is left empty: a made-up id names no row.
            return "None", "None", "None", _INVALID_JSON["uuid"], "None"
        first, second = _sample_values(self)
        return (
            self.literal(first),
            self.literal(second),
            _json_literal(first),
            _INVALID_JSON[self.type] if self.plain else self.violations[0][1],
            _json_literal(second),
        )

    @property
    def violations(self) -> list[tuple[str, str]]:
        """``(rule, JSON value breaking only that rule)`` for each declared constraint."""
        found: list[tuple[str, str]] = []
        if self.type == "enum":
            found.append(("enum", json.dumps(_not_a_value(self.values))))
        if self.minimum is not None:
            found.append(("min", _json_literal(_step(self.minimum, -1))))
        if self.maximum is not None:
            found.append(("max", _json_literal(_step(self.maximum, 1))))
        if self.min_length is not None and self.min_length > 1:
            found.append(("min_length", json.dumps(_fit(self, "alpha", self.min_length - 1))))
        if self.max_length is not None and self.type in {"str", "text"}:
            found.append(("max_length", f'"x" * {self.max_length + 1}'))
        if self.pattern is not None:
            mismatch = _mismatch(self)
            if mismatch is not None:
                found.append(("pattern", json.dumps(mismatch)))
        if not found:
            found.append(("type", _INVALID_JSON[self.type]))
        return found


def _literal(value: object) -> str:
    if isinstance(value, Decimal):
        return f'Decimal("{value:.{DECIMAL_PLACES}f}")'
    if isinstance(value, datetime.datetime):
        parts = [value.year, value.month, value.day, value.hour, value.minute]
        if value.second or value.microsecond:
            parts.append(value.second)
        if value.microsecond:
            parts.append(value.microsecond)
        return f"datetime.datetime({', '.join(map(str, parts))}, tzinfo=datetime.UTC)"
    if isinstance(value, datetime.date):
        return f"datetime.date({value.year}, {value.month}, {value.day})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, uuid.UUID):
        return f'uuid.UUID("{value}")'
    return repr(value)


def _words(value: Bound) -> str:
    """A bound as a person writes it: ``0``, ``0.5``, ``2030-01-31``."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return f"{value:g}"
    return str(json_value(value))


def json_value(value: object) -> object:
    """A declared value (bound, default, sample) as the API and its schema write it in JSON."""
    if isinstance(value, Decimal):
        return f"{value:.{DECIMAL_PLACES}f}"
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _json_literal(value: object) -> str:
    """``value`` as the API writes it in JSON, as a Python expression."""
    return _literal(json_value(value))


def _step(value: Bound, direction: int) -> Bound:
    """The nearest value beyond a bound: one unit (a day for dates) in ``direction``."""
    if isinstance(value, datetime.date):
        return value + datetime.timedelta(days=direction)
    return value + direction


def _fit(field: FieldSpec, text: str, length: int | None = None) -> str:
    """``text`` padded or cut to a length the field accepts (or exactly ``length``)."""
    low = field.min_length or 1
    high = field.max_length or max(low, len(text))
    size = length if length is not None else min(max(len(text), low), high)
    return (text + "x" * size)[:size]


def _not_a_value(values: Sequence[str]) -> str:
    """A text no longer than the values that is not one: only the CHECK may refuse it.

    Values are snake_case, so they never start with ``_``.
    """
    return "_" + values[0][1:]


def _mismatch(field: FieldSpec) -> str | None:
    """A value of an accepted length that the pattern refuses, if one is easily found."""
    assert field.anchored_pattern is not None  # noqa: S101 - only called for patterns
    compiled = re.compile(field.anchored_pattern)
    for seed in ("!", "a", "A", "0", "-", " ", "Z9", "zz"):
        candidate = _fit(field, seed * (field.min_length or 1))
        if compiled.search(candidate) is None:
            return candidate
    return None


def _accepts(field: FieldSpec, value: object) -> bool:
    """Whether ``value`` (of the field's type) meets every constraint of ``field``."""
    if isinstance(value, str) and field.type != "enum":
        if not _fits_lengths(field, value):
            return False
        return field.anchored_pattern is None or bool(re.search(field.anchored_pattern, value))
    bounded = cast("Any", value)
    return (field.minimum is None or bounded >= field.minimum) and (
        field.maximum is None or bounded <= field.maximum
    )


def _variants(text: str) -> list[str]:
    """Texts one edit away from ``text``: a character replaced by a sibling, or repeated."""
    siblings = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    found: list[str] = []
    for index in reversed(range(len(text))):
        for alphabet in siblings:
            if text[index] in alphabet:
                found += [text[:index] + other + text[index + 1 :] for other in alphabet]
        found.append(text[:index] + text[index] + text[index:])
    return found


def _text_candidates(texts: Sequence[str], count: int) -> list[object]:
    """The texts, then those one edit away, then (a bounded number) two edits away."""
    first: list[str] = [*texts]
    for text in texts:
        first += _variants(text)
    candidates: list[object] = list(first)
    for text in first:
        if len(candidates) > count * 50:
            break
        candidates += _variants(text)
    return candidates


def _bound_candidates(field: FieldSpec, found: Sequence[object], count: int) -> list[object]:
    """Up from the samples, then down (where a bound stops that), then even fractions."""
    candidates: list[object] = []
    up: Any = found[-1]
    down: Any = found[0]
    for _ in range(count * 2):
        up = _step(up, 1)
        candidates.append(up)
    for _ in range(count * 2):
        down = _step(down, -1)
        candidates.append(down)
    low, high = cast("Any", field.minimum), cast("Any", field.maximum)
    if field.type in {"float", "decimal"} and low is not None and high is not None:
        quantum = Decimal(1).scaleb(-DECIMAL_PLACES)
        for step in range(1, count * 2):
            fraction = low + (high - low) * step / (count * 2)
            candidates.append(
                fraction.quantize(quantum) if isinstance(fraction, Decimal) else fraction
            )
    return candidates


def distinct_values(field: FieldSpec, count: int) -> list[object]:
    """``count`` distinct values meeting every constraint, starting with the two samples.

    Texts are derived from the samples (for a pattern, its examples) by one or two edits;
    numbers and dates count up (or down) from the samples. Fewer than ``count`` if the
    field's constraints admit fewer (or the edits find fewer).
    """
    found: list[object] = []
    for value in _sample_values(field):
        if value not in found:
            found.append(value)
    candidates: list[object]
    if field.type == "enum":
        candidates = list(field.values)
    elif field.type == "uuid":
        candidates = [uuid.UUID(int=_UUID_BASE | n) for n in range(1, count + 1)]
    elif field.type == "bool":
        candidates = []
    elif field.type in {"str", "text"}:
        candidates = _text_candidates([str(value) for value in found], count)
    else:
        candidates = _bound_candidates(field, found, count)
    for candidate in candidates:
        if len(found) >= count:
            break
        if candidate not in found and _accepts(field, candidate):
            found.append(candidate)
    return found


def _sample_values(field: FieldSpec) -> tuple[object, object]:
    """The field's sample and other sample: fixed per type unless constraints narrow them."""
    return _PLAIN_VALUES[field.type] if field.plain else _valid_values(field)


def _valid_values(field: FieldSpec) -> tuple[object, object]:
    """Two distinct values meeting every constraint of ``field``."""
    if field.type == "enum":
        return field.values[0], field.values[1]
    if field.pattern is not None:
        return field.examples[0], field.examples[1]
    if field.type in {"str", "text"}:
        first, second = ("alpha", "beta") if field.type == "str" else _TEXTS
        return _fit(field, first), _fit(field, second)
    low, high = field.minimum, field.maximum
    defaults: dict[str, Bound] = {
        "int": 7,
        "float": 1.5,
        "decimal": Decimal("12.34"),
        "date": datetime.date(2030, 1, 31),
        "datetime": datetime.datetime(2030, 1, 31, 12, 0, tzinfo=datetime.UTC),
    }
    start: Bound
    if low is not None:
        start = low
    elif high is not None:
        start = _step(high, -1)
    else:
        start = defaults[field.type]
    after: Any = _step(start, 1)
    if high is not None and after > high:
        after = (cast("Any", start) + high) / 2 if field.type in {"float", "decimal"} else high
    if isinstance(after, Decimal):
        after = after.quantize(Decimal(1).scaleb(-DECIMAL_PLACES))
    return start, after


_TEXTS: Final = ("Some longer text.", "Other text.")
#: The version and variant bits of the sample uuids, ``00000000-0000-4000-8000-...``.
_UUID_BASE: Final = (0x4000 << 64) | (0x8000 << 48)
#: type -> (sample, other sample) of an unconstrained field; the rendered tests write them
#: as Python and as the JSON the API returns.
_PLAIN_VALUES: Final[dict[str, tuple[object, object]]] = {
    "str": ("alpha", "beta"),
    "text": _TEXTS,
    "int": (7, 8),
    "float": (1.5, 2.5),
    "decimal": (Decimal("12.3400"), Decimal("56.7800")),
    "bool": (True, False),
    "date": (datetime.date(2030, 1, 31), datetime.date(2031, 6, 1)),
    "datetime": (
        datetime.datetime(2030, 1, 31, 12, 0, tzinfo=datetime.UTC),
        datetime.datetime(2031, 6, 1, 8, 30, tzinfo=datetime.UTC),
    ),
    "uuid": (uuid.UUID(int=_UUID_BASE | 1), uuid.UUID(int=_UUID_BASE | 2)),
}
_PYTHON_TYPES: Final = {
    "str": "str",
    "text": "str",
    "int": "int",
    "float": "float",
    "decimal": "Decimal",
    "bool": "bool",
    "date": "datetime.date",
    "datetime": "datetime.datetime",
    "uuid": "uuid.UUID",
}
_COLUMN_TYPES: Final = {
    "text": "Text()",
    "int": "Integer()",
    "float": "Float()",
    "decimal": "ExactDecimal()",
    "bool": "Boolean()",
    "date": "Date()",
    "datetime": "UtcDateTime()",
    "uuid": "Uuid()",
}
#: Column types the rendered ``orm`` module defines (the others come from SQLAlchemy).
_OWN_COLUMN_TYPES: Final = frozenset({"ExactDecimal", "UtcDateTime"})
#: type -> a JSON value of the wrong type (or shape) that the API refuses with 422, as a
#: Python expression.
_INVALID_JSON: Final = {
    "str": '""',
    "text": "12",
    "int": '"seven"',
    "float": '"fast"',
    "decimal": '"12.34567"',
    "bool": '"perhaps"',
    "date": '"2030-02-30"',
    "datetime": '"yesterday"',
    "uuid": '"not-a-uuid"',
}


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    """A validated status state machine."""

    field: str
    initial: str
    transitions: Mapping[str, tuple[str, ...]]

    @property
    def states(self) -> tuple[str, ...]:
        """The states, in the order they were declared."""
        return tuple(self.transitions)

    @property
    def legal(self) -> list[tuple[str, str]]:
        """Every allowed ``(from, to)`` move."""
        return [(a, b) for a, targets in self.transitions.items() for b in targets]

    @property
    def illegal(self) -> list[tuple[str, str]]:
        """Every ``(from, to)`` move between distinct states that is not allowed."""
        allowed = set(self.legal)
        return [
            (a, b) for a in self.states for b in self.states if a != b and (a, b) not in allowed
        ]


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """A validated entity with every name the template writes for it."""

    name: str
    fields: tuple[FieldSpec, ...]
    workflow: WorkflowSpec | None
    ownership: tuple[str, ...]
    many: tuple[Many, ...] = ()
    filters: tuple[FieldSpec, ...] = ()
    sorts: tuple[str, ...] = ()

    @property
    def listing(self) -> bool:
        """Whether its list endpoint takes filters and a ``sort`` (declared under ``list``)."""
        return bool(self.filters or self.sorts)

    @property
    def sort_enum(self) -> str:
        """The ``StrEnum`` of its sort keys: ``TaskSort``."""
        return f"{self.name}Sort"

    @property
    def sort_keys(self) -> list[tuple[str, str, str, bool]]:
        """``(query value, enum member, column, descending)``, the default first.

        ``created_at`` (oldest first) is always a key; each declared key also sorts
        descending with a ``-`` prefix.
        """
        keys = ["created_at", *(key for key in self.sorts if key != "created_at")]
        return [
            (f"{'-' if descending else ''}{key}", f"{key.upper()}{'_DESC' if descending else ''}",
             key, descending)
            for key in keys
            for descending in (False, True)
        ]  # fmt: skip

    @property
    def listed_fields(self) -> list[FieldSpec]:
        """Its fields a list filters or sorts by, in declaration order."""
        keys = {field.name for field in self.filters} | set(self.sorts)
        return [field for field in self.fields if field.name in keys]

    @property
    def text_sorts(self) -> frozenset[str]:
        """Sort keys holding text (str and enum): compared by code point on every database."""
        return frozenset(
            f.name for f in self.fields if f.name in self.sorts and f.type in {"str", "enum"}
        )

    @property
    def module(self) -> str:
        """Module and variable name: ``LineItem`` -> ``line_item``."""
        return naming.snake_case(self.name)

    @property
    def plural(self) -> str:
        """Plural variable name: ``line_items``."""
        return naming.plural(self.module)

    @property
    def table(self) -> str:
        """Table name: ``line_items``."""
        return self.plural

    @property
    def path(self) -> str:
        """URL segment: ``line-items``."""
        return naming.kebab_case(self.plural)

    @property
    def label(self) -> str:
        """Human name: ``line item``."""
        return " ".join(naming.words(self.name))

    @property
    def article(self) -> str:
        """``a`` or ``an`` before :attr:`label` (by its first letter)."""
        return "an" if self.label[:1] in "aeiou" else "a"

    @property
    def permission(self) -> str:
        """Prefix of its permissions: ``line_item``."""
        return self.module

    @property
    def status_enum(self) -> str:
        """Name of its status enum: ``LineItemStatus``."""
        return f"{self.name}Status"

    @property
    def types(self) -> frozenset[str]:
        """The field types it uses."""
        return frozenset(field.type for field in self.fields)

    @property
    def sqlalchemy_imports(self) -> list[str]:
        """Names its repository module imports from ``sqlalchemy``, in isort order."""
        types = {"String", "Uuid"} | {field.column_type.split("(")[0] for field in self.fields}
        if self.checks:
            types.add("CheckConstraint")
        if self.unique_fields or self.listing:
            types.add("ColumnElement")
        if self.unique_fields:
            types.add("UniqueConstraint")
        return [*sorted(types - _OWN_COLUMN_TYPES), "func", "select"]

    @property
    def orm_imports(self) -> list[str]:
        """Names its repository module imports from the service's ``orm`` module."""
        own = {field.column_type.split("(")[0] for field in self.fields} & _OWN_COLUMN_TYPES
        return sorted({"Base", "UtcDateTime"} | own)

    @property
    def schema_aliases(self) -> list[tuple[str, str]]:
        """The constrained request types its schema module defines: (name, definition)."""
        found = {f.schema_alias: f.schema_alias_definition for f in self.fields if f.schema_alias}
        return sorted(found.items())

    @property
    def pydantic_imports(self) -> list[str]:
        """Names its schema module imports from ``pydantic``, in isort order."""
        names = {"BaseModel", "ConfigDict", "model_validator"}
        if any(field.constraints for field in self.fields):
            names.add("Field")
        if "datetime" in self.types:
            names.add("AwareDatetime")
        return sorted(names, key=lambda name: (name[0].islower(), name))

    @property
    def first_required_str(self) -> FieldSpec | None:
        """The first required ``str``/``text`` field, if any (used by the tests)."""
        return next((f for f in self.fields if f.type in {"str", "text"} and not f.nullable), None)

    @property
    def relations(self) -> list[FieldSpec]:
        """Its many-to-one fields (``<relation>_id``), in declaration order."""
        return [field for field in self.fields if field.relation is not None]

    @property
    def enums(self) -> list[FieldSpec]:
        """Its enum fields."""
        return [field for field in self.fields if field.type == "enum"]

    @property
    def enum_classes(self) -> list[str]:
        """The ``StrEnum`` classes its domain module defines for enum fields."""
        return [field.enum_class for field in self.fields if field.enum_class]

    @property
    def unique_fields(self) -> list[FieldSpec]:
        """Its fields unique within one tenant."""
        return [field for field in self.fields if field.unique]

    @property
    def checks(self) -> list[tuple[str, str]]:
        """Its ``CHECK`` constraints: (name, SQL expression)."""
        return [
            (f"ck_{self.table}_{field.name}", field.check) for field in self.fields if field.check
        ]

    @property
    def uniques(self) -> list[tuple[str, FieldSpec]]:
        """Its unique-per-tenant constraints: (name, field), on ``(tenant_id, field)``."""
        return [(f"uq_{self.table}_{field.name}", field) for field in self.unique_fields]

    @property
    def invariant_fields(self) -> list[FieldSpec]:
        """Fields its domain checks: every text field (never blank) and every constrained one."""
        return [f for f in self.fields if f.type in {"str", "text"} or f.constrained]

    @property
    def violations(self) -> list[tuple[str, str, str]]:
        """(field, rule, JSON value) for each declared constraint, for the rendered tests."""
        return [
            (field.name, rule, value)
            for field in self.fields
            for rule, value in field.violations
            if rule != "type"
        ]

    @property
    def rich(self) -> bool:
        """Whether it uses constraints, defaults or enums (beyond the entities issue's fields).

        Files of an entity that is not rich render exactly as before these keys existed.
        """
        return any(f.constrained or f.has_default or f.type == "enum" for f in self.fields)

    @property
    def required_relations(self) -> list[FieldSpec]:
        """Its relations a row cannot be created without."""
        return [field for field in self.relations if not field.nullable]

    @property
    def editable(self) -> FieldSpec:
        """The first field that is not a relation: the one the rendered tests change.

        For an entity without relations this is its first field, as before relations existed.
        """
        return next(field for field in self.fields if field.relation is None)

    @property
    def relation_targets(self) -> list[str]:
        """The entities its relations point at, each once, in declaration order."""
        return list(dict.fromkeys(f.relation.target for f in self.fields if f.relation))


def _check_field_name(where: str, name: str) -> None:
    if len(name) > MAX_FIELD_NAME:
        message = f"{where}: the name must be at most {MAX_FIELD_NAME} characters"
        raise EntityRuleError(message)
    if not _SNAKE.fullmatch(name):
        message = f"{where}: the name must be snake_case (lowercase words joined by '_')"
        raise EntityRuleError(message)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name == "type":
        message = f"{where}: the name is a Python keyword"
        raise EntityRuleError(message)
    if name in RESERVED_FIELDS:
        reserved = ", ".join(sorted(RESERVED_FIELDS))
        message = f"{where}: the name is reserved; the template adds {reserved} itself"
        raise EntityRuleError(message)
    if name in _SHADOWING_FIELDS or name.startswith("model_"):
        message = f"{where}: the name would shadow a Pydantic or SQLAlchemy attribute"
        raise EntityRuleError(message)


_SCALAR_KEYS: Final = (
    "type", "max_length", "min_length", "min", "max", "pattern", "examples", "default", "unique",
)  # fmt: skip
_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "enum": ("enum", "type", "default", "unique"),
    "belongs_to": ("belongs_to", "on_delete"),
    "many": ("many",),
}
#: Constructs Python's ``re`` and Pydantic's Rust engine read differently, or only one reads.
_NON_PORTABLE_REGEX: Final = re.compile(r"\(\?[=!<]|\(\?P=|\\[1-9]|\(\?[aiLmsux]")


def _unknown_keys(where: str, spec: Mapping[str, Any], allowed: Sequence[str]) -> None:
    if unknown := set(spec) - set(allowed):
        message = f"{where}: unknown keys {sorted(unknown)}; allowed: {', '.join(allowed)}"
        raise EntityRuleError(message)


def _whole(where: str, key: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        message = f"{where}: {key} must be a whole number from {low} to {high}"
        raise EntityRuleError(message)
    return value


def _coerce(where: str, key: str, kind: str, value: object) -> object:  # noqa: PLR0911, PLR0912
    """Check that ``value`` is a value of the field type ``kind``; return it typed."""
    wrong = f"{where}: {key} {value!r} is not a valid {kind} value"
    if isinstance(value, bool) and kind != "bool":
        raise EntityRuleError(wrong)
    if kind in {"str", "text"}:
        if not isinstance(value, str):
            raise EntityRuleError(wrong)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise EntityRuleError(wrong)
        return value
    if kind == "int":
        if not isinstance(value, int):
            raise EntityRuleError(wrong)
        return value
    if kind == "float":
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise EntityRuleError(wrong)
        return float(value)
    if kind == "decimal":
        try:
            number = Decimal(str(value)) if isinstance(value, int | float | str) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise EntityRuleError(wrong)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
            message = f"{where}: {key} {value!r} has more than {DECIMAL_PLACES} decimal places"
            raise EntityRuleError(message)
        return number
    if kind == "date":
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date | str):
            raise EntityRuleError(wrong)
        try:
            return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
        except ValueError:
            raise EntityRuleError(wrong) from None
    if kind == "datetime":
        try:
            moment = (
                value
                if isinstance(value, datetime.datetime)
                else datetime.datetime.fromisoformat(str(value))
            )
        except ValueError:
            raise EntityRuleError(wrong) from None
        if moment.tzinfo is None:
            message = f"{where}: {key} {value!r} needs a time zone (e.g. 2030-01-01T00:00:00Z)"
            raise EntityRuleError(message)
        return moment.astimezone(datetime.UTC)
    if kind == "uuid":
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise EntityRuleError(wrong) from None
    raise EntityRuleError(wrong)


def _parse_relation(where: str, name: str, spec: Mapping[str, Any]) -> FieldSpec:
    _unknown_keys(where, spec, _KEYS["belongs_to"])
    target = str(spec["belongs_to"])
    optional = target.endswith("?")
    target = target.removesuffix("?")
    if not _PASCAL.fullmatch(target):
        message = f"{where}: belongs_to {spec['belongs_to']!r} must name an entity (e.g. Project)"
        raise EntityRuleError(message)
    on_delete = spec.get("on_delete", "restrict")
    if on_delete not in ON_DELETE:
        message = f"{where}: on_delete {on_delete!r} is not one of {', '.join(ON_DELETE)}"
        raise EntityRuleError(message)
    if on_delete == "set_null" and not optional:
        message = (
            f"{where}: on_delete set_null needs an optional relation "
            f"(belongs_to: '{target}?'); a required one cannot be null"
        )
        raise EntityRuleError(message)
    column = f"{name}_id"
    if len(column) > MAX_FIELD_NAME:
        message = f"{where}: its column {column!r} must be at most {MAX_FIELD_NAME} characters"
        raise EntityRuleError(message)
    return FieldSpec(column, "uuid", optional, None, relation=Relation(name, target, on_delete))


def _parse_enum(where: str, entity: str, name: str, spec: Mapping[str, Any]) -> FieldSpec:
    _unknown_keys(where, spec, _KEYS["enum"])
    kind = spec.get("type", "enum")
    if kind not in {"enum", "enum?"}:
        message = f"{where}: type must be 'enum' or 'enum?' when enum values are given"
        raise EntityRuleError(message)
    values = spec["enum"]
    if (
        not isinstance(values, list)
        or not 2 <= len(values) <= MAX_ENUM_VALUES  # noqa: PLR2004 - one value is a constant
        or len(set(map(str, values))) != len(values)
    ):
        message = f"{where}: enum must list 2 to {MAX_ENUM_VALUES} distinct values"
        raise EntityRuleError(message)
    for value in values:
        if not isinstance(value, str) or not _SNAKE.fullmatch(value) or len(value) > MAX_STATE_NAME:
            message = (
                f"{where}: enum value {value!r} must be snake_case, "
                f"at most {MAX_STATE_NAME} characters"
            )
            raise EntityRuleError(message)
    field = FieldSpec(
        name,
        "enum",
        kind == "enum?",
        None,
        unique=_flag(where, spec),
        values=tuple(values),
        enum_class=f"{entity}{naming.pascal_case(name)}",
    )
    if "default" in spec:
        if spec["default"] not in values:
            message = f"{where}: default {spec['default']!r} is not one of {values}"
            raise EntityRuleError(message)
        field = replace(field, default=spec["default"], has_default=True)
    return field


def _flag(where: str, spec: Mapping[str, Any]) -> bool:
    value = spec.get("unique", False)
    if not isinstance(value, bool):
        message = f"{where}: unique must be true or false"
        raise EntityRuleError(message)
    return value


def _parse_pattern(where: str, spec: Mapping[str, Any], field: FieldSpec) -> FieldSpec:
    pattern = spec["pattern"]
    if not isinstance(pattern, str) or not pattern:
        message = f"{where}: pattern must be a non-empty regular expression"
        raise EntityRuleError(message)
    try:
        compiled = re.compile(f"^(?:{pattern})$")
    except re.error as error:
        message = f"{where}: pattern {pattern!r} does not compile: {error}"
        raise EntityRuleError(message) from None
    if _NON_PORTABLE_REGEX.search(pattern):
        message = (
            f"{where}: pattern {pattern!r} uses look-around, back-references or inline "
            "flags, which Pydantic's regular-expression engine does not read"
        )
        raise EntityRuleError(message)
    examples = spec.get("examples")
    if (
        not isinstance(examples, list)
        or len(examples) != 2  # noqa: PLR2004 - the tests need two distinct values
        or not all(isinstance(example, str) for example in examples)
        or examples[0] == examples[1]
    ):
        message = (
            f"{where}: a pattern needs examples: two distinct values it matches "
            "(the rendered tests use them)"
        )
        raise EntityRuleError(message)
    field = replace(field, pattern=pattern, examples=tuple(examples))
    for example in examples:
        if compiled.search(example) is None or not _fits_lengths(field, example):
            message = (
                f"{where}: example {example!r} does not match the pattern "
                "(anchored: it must match the whole value) and the lengths"
            )
            raise EntityRuleError(message)
    return field


def _fits_lengths(field: FieldSpec, value: str) -> bool:
    low = field.min_length or 1
    return low <= len(value) <= (field.max_length or len(value))


def _lengths(where: str, spec: Mapping[str, Any], kind: str) -> tuple[int | None, int | None]:
    """The checked ``(min_length, max_length)`` of a field."""
    lengths = {"max_length": spec.get("max_length"), "min_length": spec.get("min_length")}
    for key, value in lengths.items():
        if value is None:
            continue
        allowed = {"str"} if key == "max_length" else {"str", "text"}
        if kind not in allowed:
            message = f"{where}: {key} applies to {' and '.join(sorted(allowed))} fields only"
            raise EntityRuleError(message)
        _whole(where, key, value, 1, MAX_LENGTH_LIMIT)
    max_length = lengths["max_length"]
    if kind == "str" and max_length is None:
        max_length = DEFAULT_MAX_LENGTH
    min_length = lengths["min_length"]
    if min_length is not None and max_length is not None and min_length > max_length:
        message = f"{where}: min_length {min_length} is greater than max_length {max_length}"
        raise EntityRuleError(message)
    return min_length, max_length


def _parse_scalar(where: str, spec: Mapping[str, Any], kind: str, *, nullable: bool) -> FieldSpec:
    _unknown_keys(where, spec, _SCALAR_KEYS)
    if "examples" in spec and "pattern" not in spec:
        message = f"{where}: examples go with a pattern"
        raise EntityRuleError(message)
    min_length, max_length = _lengths(where, spec, kind)
    field = FieldSpec(
        "", kind, nullable, max_length, min_length=min_length, unique=_flag(where, spec)
    )
    if "pattern" in spec:
        if kind not in {"str", "text"}:
            message = f"{where}: pattern applies to str and text fields only"
            raise EntityRuleError(message)
        field = _parse_pattern(where, spec, field)
    bounds: dict[str, Any] = {}
    for key in ("min", "max"):
        if key in spec:
            if kind not in {"int", "float", "decimal", "date", "datetime"}:
                message = f"{where}: {key} applies to int, float, decimal, date and datetime fields"
                raise EntityRuleError(message)
            bounds[key] = _coerce(where, key, kind, spec[key])
    if "min" in bounds and "max" in bounds and not bounds["min"] < bounds["max"]:
        message = f"{where}: min {spec['min']!r} must be less than max {spec['max']!r}"
        raise EntityRuleError(message)
    field = replace(field, minimum=bounds.get("min"), maximum=bounds.get("max"))
    if field.unique and kind not in UNIQUE_TYPES:
        allowed = ", ".join(sorted(UNIQUE_TYPES))
        message = f"{where}: unique applies to {allowed} fields (not {kind})"
        raise EntityRuleError(message)
    if "default" in spec:
        field = replace(
            field, default=_checked_default(where, field, spec["default"]), has_default=True
        )
    return field


def _checked_default(where: str, field: FieldSpec, raw: object) -> object:
    value = _coerce(where, "default", field.type, raw)
    problem = ""
    if isinstance(value, str) and field.type in {"str", "text"}:
        if not _fits_lengths(field, value) or not value.strip():
            problem = "breaks the length limits"
        elif field.anchored_pattern and not re.search(field.anchored_pattern, value):
            problem = "does not match the pattern"
    if field.minimum is not None and value < field.minimum:  # type: ignore[operator]
        problem = f"is below min {field.minimum}"
    if field.maximum is not None and value > field.maximum:  # type: ignore[operator]
        problem = f"is above max {field.maximum}"
    if problem:
        message = f"{where}: default {raw!r} {problem}"
        raise EntityRuleError(message)
    return value


def _parse_field(entity: str, name: str, raw: str | Mapping[str, Any]) -> FieldSpec | Many:
    where = f"entity {entity!r}, field {name!r}"
    _check_field_name(where, name)
    spec = dict(raw) if isinstance(raw, Mapping) else {"type": raw}
    kinds = [key for key in ("enum", "belongs_to", "many") if key in spec]
    if len(kinds) > 1:
        message = f"{where}: use one of enum, belongs_to and many, not {' and '.join(kinds)}"
        raise EntityRuleError(message)
    if kinds == ["belongs_to"]:
        return _parse_relation(where, name, spec)
    if kinds == ["many"]:
        _unknown_keys(where, spec, _KEYS["many"])
        target = str(spec["many"])
        if not _PASCAL.fullmatch(target):
            message = f"{where}: many {spec['many']!r} must name an entity (e.g. Tag)"
            raise EntityRuleError(message)
        return Many(name, target, entity)
    if kinds == ["enum"]:
        return _check_unique(where, replace(_parse_enum(where, entity, name, spec), name=name))
    match = _TYPE.fullmatch(str(spec.get("type", "")))
    if match is None or match["type"] not in FIELD_TYPES or match["type"] == "enum":
        allowed = ", ".join(FIELD_TYPES)
        message = (
            f"{where}: type {spec.get('type')!r} is not one of {allowed} "
            "(add '?' for a nullable field, e.g. 'date?'; enums list their values: "
            "{enum: [low, high]}; relations: {belongs_to: Project} or {many: Tag})"
        )
        raise EntityRuleError(message)
    field = _parse_scalar(where, spec, match["type"], nullable=bool(match["nullable"]))
    return _check_unique(where, replace(field, name=name))


def _check_unique(where: str, field: FieldSpec) -> FieldSpec:
    """Refuse a unique field whose constraints admit too few values for the rendered tests."""
    if field.unique and len(distinct_values(field, UNIQUE_ROWS)) < UNIQUE_ROWS:
        hint = "wider bounds"
        if field.pattern:
            hint = "examples that differ in a digit or letter"
        elif field.type == "enum":
            hint = "more values"
        message = (
            f"{where}: unique needs at least {UNIQUE_ROWS} distinct valid values (the rendered "
            f"tests create that many rows, each with its own value); give {hint}"
        )
        raise EntityRuleError(message)
    return field


def _check_reachable(where: str, workflow: Workflow) -> None:
    reached, frontier = {workflow.initial}, [workflow.initial]
    while frontier:
        for target in workflow.transitions[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    if unreachable := [state for state in workflow.transitions if state not in reached]:
        message = f"{where}: states {unreachable} cannot be reached from {workflow.initial!r}"
        raise EntityRuleError(message)


def _parse_workflow(entity: str, workflow: Workflow, fields: Sequence[str]) -> WorkflowSpec:
    where = f"entity {entity!r}, workflow"
    if (
        not _SNAKE.fullmatch(workflow.field)
        or workflow.field in RESERVED_FIELDS
        or len(workflow.field) > MAX_FIELD_NAME
    ):
        message = (
            f"{where}: field {workflow.field!r} must be a snake_case, unreserved name "
            f"of at most {MAX_FIELD_NAME} characters"
        )
        raise EntityRuleError(message)
    if workflow.field in fields:
        message = f"{where}: field {workflow.field!r} is also declared under fields"
        raise EntityRuleError(message)
    states = list(workflow.transitions)
    for state in states:
        if not _SNAKE.fullmatch(state) or len(state) > MAX_STATE_NAME:
            message = f"{where}: state {state!r} must be snake_case, at most {MAX_STATE_NAME} long"
            raise EntityRuleError(message)
    if workflow.initial not in states:
        message = f"{where}: initial state {workflow.initial!r} is not one of {states}"
        raise EntityRuleError(message)
    for state, targets in workflow.transitions.items():
        for target in targets:
            if target not in states:
                message = f"{where}: {state!r} moves to {target!r}, which is not a state"
                raise EntityRuleError(message)
            if target == state:
                message = f"{where}: {state!r} moves to itself"
                raise EntityRuleError(message)
        if len(set(targets)) != len(targets):
            message = f"{where}: {state!r} lists a target twice"
            raise EntityRuleError(message)
    _check_reachable(where, workflow)
    transitions = {state: tuple(targets) for state, targets in workflow.transitions.items()}
    return WorkflowSpec(workflow.field, workflow.initial, transitions)


def _parse_entity(index: int, raw: object) -> EntitySpec:
    label = raw.get("name", f"#{index + 1}") if isinstance(raw, Mapping) else f"#{index + 1}"
    try:
        answer = EntityAnswer.model_validate(raw)
    except ValidationError as error:
        item = error.errors()[0]
        location = ".".join(str(part) for part in item["loc"]) or "entity"
        message = f"entity {label!r}: {location}: {item['msg'].removeprefix('Value error, ')}"
        raise EntityRuleError(message) from error
    name = answer.name
    if not _PASCAL.fullmatch(name) or len(name) > MAX_ENTITY_NAME:
        message = (
            f"entity {name!r}: the name must be PascalCase (e.g. 'Task', 'LineItem'), "
            f"at most {MAX_ENTITY_NAME} characters"
        )
        raise EntityRuleError(message)
    if name in RESERVED_ENTITY_NAMES:
        message = f"entity {name!r}: the name is used by the rendered code itself"
        raise EntityRuleError(message)
    if naming.snake_case(name) in RESERVED_MODULES:
        message = (
            f"entity {name!r}: its module {naming.snake_case(name)!r} is one the rendered "
            "code has already"
        )
        raise EntityRuleError(message)
    parsed = [_parse_field(name, key, value) for key, value in answer.fields.items()]
    fields = tuple(item for item in parsed if isinstance(item, FieldSpec))
    many = tuple(item for item in parsed if isinstance(item, Many))
    _check_columns(name, fields, many)
    if all(field.relation is not None for field in fields):
        message = (
            f"entity {name!r}: declare at least one field that is not a relation "
            "(the rendered tests change it)"
        )
        raise EntityRuleError(message)
    workflow = (
        _parse_workflow(name, answer.workflow, [field.name for field in fields])
        if answer.workflow is not None
        else None
    )
    for link in many:
        if workflow is not None and link.target_column == workflow.field:
            message = (
                f"entity {name!r}, field {link.name!r}: its list filter "
                f"{link.target_column!r} clashes with the workflow field"
            )
            raise EntityRuleError(message)
    by_name = {field.name: field for field in fields}
    for owner in answer.ownership:
        if owner not in by_name or by_name[owner].type != "str":
            message = f"entity {name!r}: ownership field {owner!r} must be a str field"
            raise EntityRuleError(message)
    if len(set(answer.ownership)) != len(answer.ownership):
        message = f"entity {name!r}: ownership lists a field twice"
        raise EntityRuleError(message)
    filters, sorts = _parse_listing(name, answer.listing, fields, workflow)
    # Every relation is a list filter (``?project_id=...``), after the declared ones.
    filters += tuple(f for f in fields if f.relation is not None and f not in filters)
    return EntitySpec(name, fields, workflow, tuple(answer.ownership), many, filters, sorts)


#: Field types a list may be sorted by. Not decimal (SQLite stores it as text, which
#: sorts "10" before "9"), nor text, bool and uuid (no useful order).
SORTABLE_TYPES: Final = frozenset({"str", "int", "float", "date", "datetime", "enum"})


def _parse_listing(
    entity: str,
    listing: ListingAnswer | None,
    fields: Sequence[FieldSpec],
    workflow: WorkflowSpec | None,
) -> tuple[tuple[FieldSpec, ...], tuple[str, ...]]:
    """The checked ``list: {filter: [...], sort: [...]}`` of an entity."""
    if listing is None:
        return (), ()
    by_name = {field.name: field for field in fields}
    filters: list[FieldSpec] = []
    for name in listing.filter:
        where = f"entity {entity!r}, list filter {name!r}"
        field = by_name.get(name)
        if workflow is not None and name == workflow.field:
            message = f"{where}: the workflow field is always a filter"
            raise EntityRuleError(message)
        if field is not None and field.relation is not None:
            message = f"{where}: every relation is a filter already; leave it out"
            raise EntityRuleError(message)
        if field is None or field.type not in {"enum", "bool"}:
            message = f"{where}: filters are enum and bool fields of the entity"
            raise EntityRuleError(message)
        if field in filters:
            message = f"{where}: listed twice"
            raise EntityRuleError(message)
        filters.append(field)
    sorts: list[str] = []
    for name in listing.sort:
        where = f"entity {entity!r}, list sort {name!r}"
        field = by_name.get(name)
        if name not in {"created_at", "updated_at"} and (
            field is None or field.type not in SORTABLE_TYPES
        ):
            allowed = ", ".join(sorted(SORTABLE_TYPES))
            message = (
                f"{where}: sort keys are created_at, updated_at and fields of type {allowed} "
                "(not decimal: SQLite stores it as text, which sorts 10 before 9)"
            )
            raise EntityRuleError(message)
        if name in sorts:
            message = f"{where}: listed twice"
            raise EntityRuleError(message)
        sorts.append(name)
    if not filters and not sorts:
        message = f"entity {entity!r}: list: declare a filter or a sort key, or leave list out"
        raise EntityRuleError(message)
    return tuple(filters), tuple(sorts)


def _check_columns(entity: str, fields: Sequence[FieldSpec], many: Sequence[Many]) -> None:
    """Refuse a relation whose column, or whose association table's column, clashes."""
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            relation = field.relation.name if field.relation else field.name
            message = (
                f"entity {entity!r}, field {relation!r}: its column {field.name!r} "
                "clashes with another field"
            )
            raise EntityRuleError(message)
        seen.add(field.name)
    for item in many:
        if item.target_column in seen:
            message = (
                f"entity {entity!r}, field {item.name!r}: its list filter "
                f"{item.target_column!r} clashes with another field or relation; name it otherwise"
            )
            raise EntityRuleError(message)
        seen.add(item.target_column)
        if item.target_column == item.owner_column:
            message = (
                f"entity {entity!r}, field {item.name!r}: the association table would hold "
                f"{item.owner_column!r} twice; name the relation otherwise"
            )
            raise EntityRuleError(message)


#: The last answers parsed, and what parsing them gave: Copier validates the answer and
#: renders a hundred templates from it, and the ``blueprint`` CLI checks it before Copier
#: runs; each distinct answer is parsed once per process. Specs are frozen, and callers
#: get a list of their own.
_PARSED: Final[OrderedDict[str, tuple[EntitySpec, ...] | str]] = OrderedDict()
_PARSED_LIMIT: Final = 16


def parse_entities(raw: object) -> list[EntitySpec]:
    """Validate the ``entities`` answer and compute every entity's names (memoized).

    Args:
        raw: The answer as Copier holds it: a list of mappings.

    Returns:
        The entities, in the order given.

    Raises:
        EntityRuleError: The answer broke a rule; the message names the entity, the field
            and the rule.
    """
    key = repr(raw)
    if key not in _PARSED:
        try:
            _PARSED[key] = tuple(_parse_entities(raw))
        except EntityRuleError as error:
            _PARSED[key] = str(error)
        while len(_PARSED) > _PARSED_LIMIT:
            _PARSED.popitem(last=False)
    _PARSED.move_to_end(key)
    parsed = _PARSED[key]
    if isinstance(parsed, str):
        raise EntityRuleError(parsed)
    return list(parsed)


def _parse_entities(raw: object) -> list[EntitySpec]:
    """Validate the ``entities`` answer and compute every entity's names.

    Args:
        raw: The answer as Copier holds it: a list of mappings.

    Returns:
        The entities, in the order given.

    Raises:
        EntityRuleError: The answer broke a rule; the message names the entity, the field
            and the rule.
    """
    if not isinstance(raw, list) or not raw:
        message = "must be a non-empty list of entities"
        raise EntityRuleError(message)
    if len(raw) > MAX_ENTITIES:
        message = f"at most {MAX_ENTITIES} entities (got {len(raw)})"
        raise EntityRuleError(message)
    specs = [_parse_entity(index, item) for index, item in enumerate(raw)]
    seen: dict[str, str] = {}
    for spec in specs:
        for key in (spec.module, spec.plural):
            if key in seen and seen[key] != spec.name:
                message = f"entity {spec.name!r}: its name collides with {seen[key]!r}"
                raise EntityRuleError(message)
            if key == spec.module and key in seen:
                message = f"entity {spec.name!r}: declared twice"
                raise EntityRuleError(message)
        seen.setdefault(spec.module, spec.name)
        seen.setdefault(spec.plural, spec.name)
    _check_relations(specs)
    return specs


def _check_relations(specs: Sequence[EntitySpec]) -> None:
    """Refuse unknown targets, clashing association tables and required cycles."""
    names = [spec.name for spec in specs]
    tables = {spec.table: f"the table of entity {spec.name!r}" for spec in specs}
    required: dict[str, list[str]] = {name: [] for name in names}
    for spec in specs:
        targets = [(f.relation.name, f.relation.target) for f in spec.fields if f.relation]
        targets += [(item.name, item.target) for item in spec.many]
        for relation, target in targets:
            if target not in names:
                message = (
                    f"entity {spec.name!r}, field {relation!r}: {target!r} is not an entity "
                    f"(entities: {', '.join(names)})"
                )
                raise EntityRuleError(message)
        for item in spec.many:
            if item.table in tables:
                message = (
                    f"entity {spec.name!r}, field {item.name!r}: its association table "
                    f"{item.table!r} clashes with {tables[item.table]}"
                )
                raise EntityRuleError(message)
            tables[item.table] = f"the association table of {spec.name}.{item.name}"
        for field in spec.required_relations:
            assert field.relation is not None  # noqa: S101 - relations() selects them
            if field.relation.target == spec.name:
                message = (
                    f"entity {spec.name!r}, field {field.relation.name!r}: a required "
                    f"self-reference means no first row could ever be created; "
                    f"make it optional (belongs_to: '{spec.name}?')"
                )
                raise EntityRuleError(message)
            required[spec.name].append(field.relation.target)
    if cycle := _cycle(required):
        message = (
            f"entity {cycle[0]!r}: the required relations {' -> '.join(cycle)} form a cycle, "
            "so none of these rows could ever be created; make one of them optional"
        )
        raise EntityRuleError(message)
    _check_order_and_support(specs)


def _check_order_and_support(specs: Sequence[EntitySpec]) -> None:
    """Refuse targets declared after the entities that refer to them."""
    names = [spec.name for spec in specs]
    for index, spec in enumerate(specs):
        for field in spec.relations:
            assert field.relation is not None  # noqa: S101 - relations() selects them
            if field.relation.target not in names[: index + 1]:
                message = (
                    f"entity {spec.name!r}, field {field.relation.name!r}: "
                    f"{field.relation.target!r} must be declared before {spec.name!r} "
                    "(migrations create the tables in declaration order)"
                )
                raise EntityRuleError(message)
        for item in spec.many:
            if item.target not in names[: index + 1]:
                message = (
                    f"entity {spec.name!r}, field {item.name!r}: {item.target!r} must be "
                    f"declared before {spec.name!r} (the association table {item.table!r} "
                    "is created with its owner's table)"
                )
                raise EntityRuleError(message)


def _cycle(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle in ``graph`` as [a, b, ..., a] (the first found, in declaration order), or []."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for target in graph[node]:
            if found := visit(target, [*path, node]):
                return found
        done.add(node)
        return []

    for start in graph:
        if found := visit(start, []):
            return found
    return []


def workflow_path(workflow: WorkflowSpec, state: str) -> list[str]:
    """The ``workflow_path`` filter: the shortest moves from the initial state to ``state``."""
    paths: dict[str, list[str]] = {workflow.initial: []}
    frontier = [workflow.initial]
    while frontier:
        current = frontier.pop(0)
        for target in workflow.transitions[current]:
            if target not in paths:
                paths[target] = [*paths[current], target]
                frontier.append(target)
    return paths[state]


def entities_error(value: object) -> str:
    """Return ``""`` for a valid ``entities`` answer, else ``"entities: <rule>"``."""
    try:
        parse_entities(value)
    except EntityRuleError as error:
        return f"entities: {error}"
    return ""


def entity_spec(raw: object) -> EntitySpec:
    """The ``entity_spec`` filter: one entity's spec, for files rendered per entity."""
    return _parse_entity(0, raw)


def entity_specs(raw: object) -> list[EntitySpec]:
    """The ``entity_specs`` filter: every entity's spec."""
    return parse_entities(cast("list[object]", raw))


@dataclass(frozen=True, slots=True)
class Dependant:
    """A relation seen from its target: ``entity.field`` holds the target's id."""

    entity: EntitySpec
    field: FieldSpec

    @property
    def on_delete(self) -> str:
        """``restrict``, ``cascade`` or ``set_null``."""
        assert self.field.relation is not None  # noqa: S101 - only relations are dependants
        return self.field.relation.on_delete

    @property
    def fk_name(self) -> str:
        """The foreign key's name: ``fk_tasks_project_id``."""
        return foreign_key_name(self.entity, self.field)


def foreign_key_name(entity: EntitySpec, field: FieldSpec) -> str:
    """The name of the composite foreign key of ``entity.field``."""
    return f"fk_{entity.table}_{field.name}"


def target_index_name(target: EntitySpec) -> str:
    """The unique index on ``(tenant_id, id)`` that composite foreign keys refer to."""
    return f"ux_{target.table}_tenant_id_id"


class RelationGraph:
    """Every entity with its relations seen from both ends: the ``relation_graph`` filter.

    Per-entity templates parse one entity alone; this gives them the others: a child's
    targets, a target's dependants, and which revision creates a target's key.
    """

    def __init__(self, specs: Sequence[EntitySpec]) -> None:
        """Index ``specs`` (validated, in declaration order)."""
        self.specs = tuple(specs)
        self._by_name = {spec.name: spec for spec in specs}

    def of(self, name: str) -> EntitySpec:
        """The entity called ``name``."""
        return self._by_name[name]

    @property
    def any(self) -> bool:
        """Whether some entity has a relation."""
        return any(spec.relations for spec in self.specs)

    def dependants(self, name: str) -> list[Dependant]:
        """The relations pointing at ``name``, in declaration order."""
        return [
            Dependant(spec, field)
            for spec in self.specs
            for field in spec.relations
            if field.relation is not None and field.relation.target == name
        ]

    @property
    def targets(self) -> list[EntitySpec]:
        """Entities some many-to-one relation points at, in declaration order."""
        return [spec for spec in self.specs if self.dependants(spec.name)]

    @property
    def links(self) -> list[Many]:
        """Every many-to-many relation, in declaration order."""
        return [item for spec in self.specs for item in spec.many]

    def handler(self, item: Many) -> str:
        """The suffix of ``item``'s handlers: its name, or its table if another shares it."""
        return item.name if [i.name for i in self.links].count(item.name) == 1 else item.table

    def linked_to(self, name: str) -> list[Many]:
        """The many-to-many relations whose target is ``name``, in declaration order."""
        return [item for item in self.links if item.target == name]

    def referrers(self, name: str) -> list[str]:
        """Entities whose foreign keys refer to ``name``'s ``(tenant_id, id)``, in order.

        A many-to-one child refers to its target; a many-to-many owner's association table
        refers to both the owner and the target.
        """
        found = {d.entity.name for d in self.dependants(name)}
        found |= {item.owner for item in self.links if name in {item.owner, item.target}}
        return [spec.name for spec in self.specs if spec.name in found]

    def keyed(self, name: str) -> bool:
        """Whether ``name``'s table needs the unique ``(tenant_id, id)`` index."""
        return bool(self.referrers(name))

    def indexes_created_by(self, name: str) -> list[EntitySpec]:
        """Entities whose ``(tenant_id, id)`` index the revision of ``name`` creates.

        The first entity, in declaration order, whose foreign keys refer to a table creates
        its index, so appending entities never changes an earlier revision.
        """
        return [
            spec
            for spec in self.specs
            if self.keyed(spec.name) and self.referrers(spec.name)[0] == name
        ]

    @property
    def removable(self) -> list[EntitySpec]:
        """Entities whose rows a delete may visit: targets and the dependants cascaded to."""
        names = {spec.name for spec in self.targets}
        names |= {
            d.entity.name
            for target in self.targets
            for d in self.dependants(target.name)
            if d.on_delete == "cascade"
        }
        return [spec for spec in self.specs if spec.name in names]

    def ancestors(self, name: str) -> list[EntitySpec]:
        """Entities a row of ``name`` needs first, through required relations, oldest first."""
        needed: set[str] = set()
        frontier = [name]
        while frontier:
            for field in self.of(frontier.pop()).required_relations:
                assert field.relation is not None  # noqa: S101 - relations() selects them
                if field.relation.target not in needed:
                    needed.add(field.relation.target)
                    frontier.append(field.relation.target)
        return [spec for spec in self.specs if spec.name in needed]

    @property
    def seeded(self) -> list[EntitySpec]:
        """Entities the rendered tests store a row of per tenant: parents, and relations' ends.

        Every many-to-one target, every entity a row needs first, and both ends of every
        many-to-many relation.
        """
        names = {spec.name for spec in self.parents + self.targets}
        names |= {end for item in self.links for end in (item.owner, item.target)}
        return [spec for spec in self.specs if spec.name in names]

    @property
    def parents(self) -> list[EntitySpec]:
        """Every entity some row needs first: the rows the rendered tests create per tenant."""
        needed = {a.name for spec in self.specs for a in self.ancestors(spec.name)}
        return [spec for spec in self.specs if spec.name in needed]


def relation_graph(raw: object) -> RelationGraph:
    """The ``relation_graph`` filter: every entity's relations, from both ends."""
    return RelationGraph(entity_specs(raw))
