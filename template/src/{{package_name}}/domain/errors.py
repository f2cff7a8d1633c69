"""Errors of the business rules; the API maps each to one HTTP status in one place."""

import uuid


class DomainError(Exception):
    """A business rule refused the operation."""


class NotFoundError(DomainError):
    """No such entity in the caller's tenant (it may exist in another; nobody can tell)."""

    def __init__(self, entity: str, entity_id: uuid.UUID) -> None:
        """Name the entity and id that were looked for."""
        self.entity = entity
        self.entity_id = entity_id
        super().__init__(f"{entity} {entity_id} not found")


class InvalidTransitionError(DomainError):
    """A status change the entity's workflow does not allow."""

    def __init__(self, entity: str, current: str, target: str, allowed: list[str]) -> None:
        """Name the move that was refused and the moves that are allowed."""
        self.current = current
        self.target = target
        self.allowed = allowed
        moves = ", ".join(allowed) if allowed else "none"
        super().__init__(f"{entity} cannot move from {current!r} to {target!r}; allowed: {moves}")


class InvariantError(DomainError):
    """A value breaks an invariant of the entity."""

    def __init__(self, *, field: str, message: str) -> None:
        """Name the field and what is wrong with it."""
        self.field = field
        super().__init__(f"{field}: {message}")
