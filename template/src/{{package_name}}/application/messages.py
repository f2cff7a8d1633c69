"""The base classes of messages: commands change state, queries read it; a list's page.

Each carries its result type, so ``await bus.dispatch(CreateTask(...), principal)`` is
typed as the handler's result.
"""

from abc import abstractmethod
from dataclasses import dataclass, fields
from typing import Annotated, Final

from pydantic import Field


@dataclass(frozen=True, kw_only=True)
class Command[R]:
    """An intent to change state, named in the imperative (``CreateTask``)."""


@dataclass(frozen=True, kw_only=True)
class Query[R]:
    """A question about state, answered without changing it (``GetTask``)."""


@dataclass(frozen=True, kw_only=True)
class Page[T]:
    """One page of a list, with the total number of matching rows."""

    items: list[T]
    total: int
    limit: int
    offset: int


#: The most rows a page holds, and the largest offset: what a 64-bit ``OFFSET`` holds on
#: every database.
MAX_PAGE_SIZE: Final = 100
MAX_OFFSET: Final = 2**63 - 1
#: A list's ``limit`` and ``offset``, bounded (the API answers 422 for others).
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
#: The fields of every list query that say which page, not which rows.
_PAGING = frozenset({"sort", "limit", "offset"})


@dataclass(frozen=True, kw_only=True)
class ListQuery[T](Query[Page[T]]):
    """A question for one page of rows: those holding every value its filters give.

    An entity's list query declares its filters (``None``: any value), then ``sort`` where
    its rows may be sorted, then ``limit: PageSize = 50`` and ``offset: Offset = 0``: in
    that order the API takes them as query parameters.
    """

    @property
    @abstractmethod
    def limit(self) -> int:
        """The most rows the page holds: a field of the entity's query."""

    @property
    @abstractmethod
    def offset(self) -> int:
        """How many matching rows come before the page: a field of the entity's query."""

    def filters(self) -> dict[str, object]:
        """The values asked for, by field: each filter given (not ``None``)."""
        return {
            item.name: value
            for item in fields(self)
            if item.name not in _PAGING and (value := getattr(self, item.name)) is not None
        }

    def sort_key(self) -> str | None:
        """The sort key asked for; ``None`` (oldest first) where the entity has none."""
        key: str | None = getattr(self, "sort", None)
        return key
