"""What users declare: the answer's shape (Pydantic), its limits and reserved names."""

import re
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


#: Distinct valid values a unique field must admit: the rendered tests create up to this
#: many rows of one entity in one tenant, each with its own value.
UNIQUE_ROWS: Final = 8


MAX_ENUM_VALUES: Final = 50
