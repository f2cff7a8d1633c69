"""Bounds on what a request may send, enforced before anything reads or parses it.

A body larger than ``MAX_REQUEST_BODY_BYTES`` is refused with 413 whoever sends it: by its
``Content-Length`` before a byte is read, or, sent in chunks, as soon as the bytes read
pass the limit (the app has then buffered at most the limit). Authentication order does
not matter: nothing past this middleware sees more than the limit.
"""

import json
from typing import Final

from fastapi import status
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The largest ``offset`` of a list: what a 64-bit ``OFFSET`` holds on every database.
MAX_OFFSET: Final = 2**63 - 1
CODE: Final = "request_too_large"
_LENGTH: Final = b"content-length"


class RequestTooLargeError(HTTPException):
    """The body passed the limit; nothing was read past it, nothing was changed."""

    def __init__(self, limit: int) -> None:
        """Name the limit in the detail."""
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"The request body is larger than {limit} bytes; nothing was changed",
        )

    def __str__(self) -> str:
        """The detail alone, as the other refusals say it."""
        return self.detail


class BodyLimitMiddleware:
    """Refuse HTTP request bodies over ``max_bytes`` with 413, before they are read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap ``app``."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes as the app reads them."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLargeError(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except RequestTooLargeError:
            # Read outside FastAPI's error handling (a middleware, a stream): answer here.
            if started:
                raise
            await _refuse(send, self.max_bytes)


def _declared_length(scope: Scope) -> int:
    for key, value in scope["headers"]:
        if key == _LENGTH:
            return int(value) if value.isdigit() else 0
    return 0


async def _refuse(send: Send, limit: int) -> None:
    detail = RequestTooLargeError(limit).detail
    body = json.dumps({"detail": detail, "code": CODE}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status.HTTP_413_CONTENT_TOO_LARGE,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
