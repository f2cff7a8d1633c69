"""What the OpenAPI document says of the answers every entity's routes share.

The bodies of refusals (``{"detail": ..., "code": ...}``) and the version headers: reads
and writes answer with ``ETag``; conditional writes may be refused with 412.
"""

from typing import Any, Final

from pydantic import BaseModel, Field


class Refusal(BaseModel):
    """Why a request was refused; nothing was changed unless ``code`` says otherwise."""

    detail: str = Field(description="What was wrong, for people")
    code: str = Field(description="What was wrong, for programs: e.g. `concurrent_change`")
    current_version: int | None = Field(
        default=None, description="412 only: the version the row has now (its `ETag`)"
    )


_ETAG: Final = {
    "ETag": {
        "description": 'The row\'s version as a strong entity tag (`"3"`): send it back in '
        "`If-Match`",
        "schema": {"type": "string"},
    }
}

#: A read or a write that answers with the row.
WITH_ETAG: Final[dict[int | str, dict[str, Any]]] = {200: {"headers": _ETAG}}
#: A create: 201 with the row and its ``ETag``.
CREATED: Final[dict[int | str, dict[str, Any]]] = {201: {"headers": _ETAG}}
#: A write that may race others or name a version: 400, 409, 412.
CONDITIONAL: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": Refusal, "description": "`If-Match` is not one strong ETag nor `*`"},
    409: {
        "model": Refusal,
        "description": "The row kept changing under the write (`concurrent_change`), or "
        "another conflict; nothing was changed",
    },
    412: {
        "model": Refusal,
        "description": "`If-Match` names a version the row no longer has; nothing was "
        "changed. The body and `ETag` give the current version",
        "headers": _ETAG,
    },
}
#: A request with a body: a body over ``MAX_REQUEST_BODY_BYTES`` is refused unread.
BODY: Final[dict[int | str, dict[str, Any]]] = {
    413: {
        "model": Refusal,
        "description": "`request_too_large`: the body is larger than the service accepts; "
        "nothing was changed",
    },
}
#: A create that may name an idempotency key.
IDEMPOTENT: Final[dict[int | str, dict[str, Any]]] = {
    422: {
        "model": Refusal,
        "description": "`idempotency_key_reused`: the key came with another body before; "
        "or the body is invalid",
    },
}
