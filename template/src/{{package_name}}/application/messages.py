"""The base classes of messages: commands change state, queries read it.

Each carries its result type, so ``await bus.dispatch(CreateTask(...), principal)`` is
typed as the handler's result.
"""

from dataclasses import dataclass, fields


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


#: The fields of every list query that say which page, not which rows.
_PAGING = frozenset({"sort", "limit", "offset"})


@dataclass(frozen=True, kw_only=True)
class ListQuery[T](Query[Page[T]]):
    """A question for one page of rows: those holding every value its other fields give.

    An entity's list query adds its filters as fields (``None``: any value) and, where its
    rows may be sorted, narrows ``sort`` to its sort keys (``None``: oldest first).
    """

    sort: str | None = None
    limit: int = 50
    offset: int = 0

    def filters(self) -> dict[str, object]:
        """The values asked for, by field: each filter given (not ``None``)."""
        return {
            item.name: value
            for item in fields(self)
            if item.name not in _PAGING and (value := getattr(self, item.name)) is not None
        }
