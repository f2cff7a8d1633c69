"""The ``Idempotency-Key`` header of creates (the rules are the application's)."""

from typing import Annotated

from fastapi import Header

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A key of the client's choosing (1-255 visible ASCII characters). A retry with "
            "the same key and body within the window returns the row the first request "
            "made (201, same id) instead of creating another; the same key with another "
            "body is 422 `idempotency_key_reused`. Per tenant and caller. Optional."
        ),
    ),
]
