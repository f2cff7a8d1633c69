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

Every rule is checked here, once; each message names the entity, the field and the rule.
"""

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator import naming

FieldType = Literal["str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid"]
FIELD_TYPES: Final[tuple[str, ...]] = (
    "str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid",
)  # fmt: skip
DEFAULT_MAX_LENGTH: Final = 255
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


class EntityAnswer(BaseModel):
    """One entity as the user wrote it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    fields: dict[str, str | dict[str, Any]] = Field(min_length=1)
    workflow: Workflow | None = None
    ownership: list[str] = []

    @field_validator("fields", mode="before")
    @classmethod
    def _fields_are_a_mapping(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return dict(value)
        message = "must be a mapping of field name to type"
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field with everything the template writes for it."""

    name: str
    type: str
    nullable: bool
    max_length: int | None

    @property
    def python_type(self) -> str:
        """The Python type, e.g. ``Decimal`` or ``datetime.date``."""
        return _PYTHON_TYPES[self.type]

    @property
    def annotation(self) -> str:
        """The annotation, ``| None`` for a nullable field."""
        return f"{self.python_type} | None" if self.nullable else self.python_type

    @property
    def unset_annotation(self) -> str:
        """The annotation of a partial-update argument: may be :data:`UNSET`."""
        suffix = " | Unset | None" if self.nullable else " | Unset"
        return self.python_type + suffix

    @property
    def schema_alias(self) -> str | None:
        """Name of the constrained request type its schema module defines, if any."""
        aliases = {"text": "Text", "float": "FiniteFloat", "decimal": "Amount"}
        if self.type == "str":
            return f"Str{self.max_length}"
        return aliases.get(self.type)

    @property
    def schema_alias_definition(self) -> str:
        """The definition of :attr:`schema_alias`."""
        return f"Annotated[{self.python_type}, Field({self.constraints})]"

    @property
    def schema_annotation(self) -> str:
        """The annotation of its request field: constrained, and aware for datetimes."""
        plain = "AwareDatetime" if self.type == "datetime" else self.python_type
        base = self.schema_alias or plain
        return f"{base} | None" if self.nullable else base

    @property
    def compare(self) -> str:
        """How tests compare a value of this field with a sample: ``is`` for booleans."""
        return "is" if self.type == "bool" else "=="

    @property
    def column_type(self) -> str:
        """The SQLAlchemy type expression of its column."""
        if self.type == "str":
            return f"String({self.max_length})"
        return _COLUMN_TYPES[self.type]

    @property
    def constraints(self) -> str:
        """Pydantic ``Field`` arguments that validate a request value."""
        if self.type == "str":
            return f"min_length=1, max_length={self.max_length}"
        if self.type == "text":
            return "min_length=1"
        if self.type == "float":
            return "allow_inf_nan=False"
        if self.type == "decimal":
            return "allow_inf_nan=False, max_digits=18, decimal_places=4"
        return ""

    @property
    def sample(self) -> str:
        """A valid value as a Python expression."""
        return _SAMPLES[self.type][0]

    @property
    def other_sample(self) -> str:
        """A second valid value, different from :attr:`sample`, as a Python expression."""
        return _SAMPLES[self.type][1]

    @property
    def sample_json(self) -> str:
        """:attr:`sample` as a JSON value, as a Python expression."""
        return _SAMPLES[self.type][2]

    @property
    def other_sample_json(self) -> str:
        """:attr:`other_sample` as a JSON value, as a Python expression."""
        return _SAMPLES[self.type][4]

    @property
    def invalid_json(self) -> str:
        """A JSON value the API must refuse with 422, as a Python expression."""
        return _SAMPLES[self.type][3]


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
#: type -> (sample, other sample, sample as JSON, invalid JSON, other sample as JSON), each
#: a Python expression. JSON samples are what the API returns for the Python samples.
_SAMPLES: Final = {
    "str": ('"alpha"', '"beta"', '"alpha"', '""', '"beta"'),
    "text": ('"Some longer text."', '"Other text."', '"Some longer text."', "12", '"Other text."'),
    "int": ("7", "8", "7", '"seven"', "8"),
    "float": ("1.5", "2.5", "1.5", '"fast"', "2.5"),
    "decimal": ('Decimal("12.3400")', 'Decimal("56.7800")', '"12.3400"', '"12.34567"', '"56.7800"'),
    "bool": ("True", "False", "True", '"perhaps"', "False"),
    "date": (
        "datetime.date(2030, 1, 31)",
        "datetime.date(2031, 6, 1)",
        '"2030-01-31"',
        '"2030-02-30"',
        '"2031-06-01"',
    ),
    "datetime": (
        "datetime.datetime(2030, 1, 31, 12, 0, tzinfo=datetime.UTC)",
        "datetime.datetime(2031, 6, 1, 8, 30, tzinfo=datetime.UTC)",
        '"2030-01-31T12:00:00Z"',
        '"yesterday"',
        '"2031-06-01T08:30:00Z"',
    ),
    "uuid": (
        'uuid.UUID("00000000-0000-4000-8000-000000000001")',
        'uuid.UUID("00000000-0000-4000-8000-000000000002")',
        '"00000000-0000-4000-8000-000000000001"',
        '"not-a-uuid"',
        '"00000000-0000-4000-8000-000000000002"',
    ),
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


def _parse_field(entity: str, name: str, raw: str | Mapping[str, Any]) -> FieldSpec:
    where = f"entity {entity!r}, field {name!r}"
    _check_field_name(where, name)
    spec = dict(raw) if isinstance(raw, Mapping) else {"type": raw}
    unknown = set(spec) - {"type", "max_length"}
    if unknown:
        message = f"{where}: unknown keys {sorted(unknown)}; allowed: type, max_length"
        raise EntityRuleError(message)
    match = _TYPE.fullmatch(str(spec.get("type", "")))
    if match is None or match["type"] not in FIELD_TYPES:
        allowed = ", ".join(FIELD_TYPES)
        message = (
            f"{where}: type {spec.get('type')!r} is not one of {allowed} "
            "(add '?' for a nullable field, e.g. 'date?')"
        )
        raise EntityRuleError(message)
    max_length = spec.get("max_length")
    if max_length is not None and match["type"] != "str":
        message = f"{where}: max_length applies to str fields only"
        raise EntityRuleError(message)
    if max_length is not None and (
        not isinstance(max_length, int)
        or isinstance(max_length, bool)
        or not 1 <= max_length <= MAX_LENGTH_LIMIT
    ):
        message = f"{where}: max_length must be a whole number from 1 to {MAX_LENGTH_LIMIT}"
        raise EntityRuleError(message)
    if match["type"] == "str" and max_length is None:
        max_length = DEFAULT_MAX_LENGTH
    return FieldSpec(name, match["type"], bool(match["nullable"]), max_length)


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
    fields = tuple(_parse_field(name, key, value) for key, value in answer.fields.items())
    workflow = (
        _parse_workflow(name, answer.workflow, [field.name for field in fields])
        if answer.workflow is not None
        else None
    )
    by_name = {field.name: field for field in fields}
    for owner in answer.ownership:
        if owner not in by_name or by_name[owner].type != "str":
            message = f"entity {name!r}: ownership field {owner!r} must be a str field"
            raise EntityRuleError(message)
    if len(set(answer.ownership)) != len(answer.ownership):
        message = f"entity {name!r}: ownership lists a field twice"
        raise EntityRuleError(message)
    return EntitySpec(name, fields, workflow, tuple(answer.ownership))


def parse_entities(raw: object) -> list[EntitySpec]:
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
    return specs


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
