"""A field of an entity, and its relations: everything the template writes for one field."""

import json
from dataclasses import dataclass

from generator import naming
from generator.entities.declared import LINE_LENGTH, UNIQUE_ROWS
from generator.entities.invariants import Invariant, invariants
from generator.entities.kinds import KINDS, Bound, FieldKind
from generator.entities.values import (
    _fit,
    _json_literal,
    _literal,
    _mismatch,
    _not_a_value,
    _sample_values,
    _step,
    _words,
    distinct_values,
    json_value,
)

#: What an ``int`` field's ``Integer`` column holds on PostgreSQL (4 bytes): the bounds
#: a request value of it gets on every database, unless it declares narrower ones.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: Request types every schema module imports from ``api/input.py`` instead of defining.
SHARED_ALIASES = frozenset({"Int32"})


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
    def kind(self) -> FieldKind:
        """Its type's kind: Python and column types, samples, what applies to it."""
        return KINDS[self.type]

    @property
    def python_type(self) -> str:
        """The Python type, e.g. ``Decimal`` or ``datetime.date``."""
        if self.enum_class is not None:
            return self.enum_class
        return self.kind.python_type

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
        # Int32 is the service's own (``api/input.py``); the others its schema module's.
        aliases = {"text": "Text", "float": "FiniteFloat", "decimal": "Amount", "int": "Int32"}
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
        assert self.kind.column is not None  # noqa: S101 - str and enum are sized above
        return self.kind.column

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
        elif self.type == "int":
            parts.append(f"ge={INT32_MIN}")
        if self.maximum is not None:
            parts.append(f"le={self.literal(self.maximum)}")
        elif self.type == "int":
            parts.append(f"le={INT32_MAX}")
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
    def invariants(self) -> list[Invariant]:
        """What the domain checks of its values (text never blank, lengths, pattern, bounds)."""
        return invariants(self)

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
            return "None", "None", "None", KINDS["uuid"].invalid_json, "None"
        first, second = _sample_values(self)
        return (
            self.literal(first),
            self.literal(second),
            _json_literal(first),
            self.kind.invalid_json if self.plain else self.violations[0][1],
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
            found.append(("type", self.kind.invalid_json))
        return found
