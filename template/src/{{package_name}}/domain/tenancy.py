"""Tenant identity: every repository call needs one, and an empty one is refused."""

from typing import NewType

TenantId = NewType("TenantId", str)


class MissingTenantError(ValueError):
    """No tenant context: the operation must not run at all."""


def tenant_id(value: str | None) -> TenantId:
    """Return ``value`` as a :data:`TenantId`, failing fast when it is missing or blank.

    Raises:
        MissingTenantError: ``value`` is ``None``, empty or only whitespace.
    """
    if value is None or not value.strip():
        message = "tenant context is missing"
        raise MissingTenantError(message)
    return TenantId(value)
