"""An entity: its fields, workflow, ownership and list keys, and every name it renders as."""

from collections.abc import Mapping
from dataclasses import dataclass

from generator import naming
from generator.entities.fields import SHARED_ALIASES, FieldSpec, Many
from generator.entities.kinds import OWN_COLUMN_TYPES


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
    def once(self) -> str | None:
        """A state the initial state moves to that cannot move to itself, if any.

        Of many equal moves there at once, exactly one happens: the rendered concurrency
        tests make them.
        """
        targets = self.transitions[self.initial]
        return next((state for state in targets if state not in self.transitions[state]), None)

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
    def orm_imports(self) -> list[str]:
        """Names its repository module imports from the service's ``orm`` module."""
        own = {field.column_type.split("(")[0] for field in self.fields} & OWN_COLUMN_TYPES
        return sorted({"Base", "UtcDateTime"} | own)

    @property
    def schema_aliases(self) -> list[tuple[str, str]]:
        """The constrained request types its schema module defines: (name, definition)."""
        found = {
            f.schema_alias: f.schema_alias_definition
            for f in self.fields
            if f.schema_alias and f.schema_alias not in SHARED_ALIASES
        }
        return sorted(found.items())

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
    def key_index(self) -> str:
        """The unique index on ``(tenant_id, id)`` that composite foreign keys refer to."""
        return f"ux_{self.table}_tenant_id_id"

    def foreign_key(self, field: FieldSpec) -> str:
        """The name of the composite foreign key of a relation: ``fk_tasks_project_id``."""
        return f"fk_{self.table}_{field.name}"

    def index(self, column: str) -> str:
        """The name of the index on ``column``: ``ix_tasks_project_id``."""
        return f"ix_{self.table}_{column}"

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
    def required_relation_targets(self) -> dict[str, str]:
        """Each required relation's column and its target: ``{"project_id": "Project"}``."""
        return {f.name: f.relation.target for f in self.required_relations if f.relation}

    @property
    def required_field(self) -> FieldSpec | None:
        """The first field a create may not leave out (not nullable, no default), if any."""
        return next((f for f in self.fields if not f.nullable and not f.has_default), None)

    @property
    def defaulted(self) -> list[FieldSpec]:
        """Its fields with a declared default."""
        return [field for field in self.fields if field.has_default]

    @property
    def nullable_unique(self) -> list[FieldSpec]:
        """Its unique fields that may be null (nulls never clash)."""
        return [field for field in self.unique_fields if field.nullable]

    @property
    def second_editable(self) -> FieldSpec | None:
        """A field other than :attr:`editable` that is not a relation, if any."""
        first = self.editable
        return next((f for f in self.fields if f.relation is None and f is not first), None)

    @property
    def editable(self) -> FieldSpec:
        """The first field that is not a relation: the one the rendered tests change.

        For an entity without relations this is its first field, as before relations existed.
        """
        return next(field for field in self.fields if field.relation is None)

    @property
    def nested(self) -> list[FieldSpec]:
        """Relations that get a nested read (``GET /projects/{id}/tasks``): one per target."""
        targets = [field.relation.target for field in self.relations if field.relation]
        return [
            field
            for field in self.relations
            if field.relation is not None and targets.count(field.relation.target) == 1
        ]

    @property
    def relation_targets(self) -> list[str]:
        """The entities its relations point at, each once, in declaration order."""
        return list(dict.fromkeys(f.relation.target for f in self.fields if f.relation))
