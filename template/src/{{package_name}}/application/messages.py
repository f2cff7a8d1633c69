"""The base classes of messages: commands change state, queries read it.

Each carries its result type, so ``await bus.dispatch(CreateTask(...), principal)`` is
typed as the handler's result.
"""

from dataclasses import dataclass


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
