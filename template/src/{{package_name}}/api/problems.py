"""Error answers as RFC 9457 problem details: one shape for every 4xx and 5xx.

A body is ``application/problem+json`` with ``type`` (the problem type's URI), ``title``,
``status``, ``detail`` (this occurrence, for people), ``instance`` (the request's path)
and ``code`` (the type's name, for programs). Some types add members: ``errors`` (each
field a 422 refused) and ``current_version`` (412). Each type's URI is relative to the
service, which serves its documentation there (``GET /problems/<code>``); an HTTP error
with no type of its own is ``about:blank`` with the status's phrase as its title.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse
from starlette.types import Send

#: The media type of every error body.
PROBLEM_JSON: Final = "application/problem+json"
#: Where the service documents its problem types: ``/problems/<code>``.
PROBLEMS_PATH: Final = "/problems"


@dataclass(frozen=True, slots=True)
class ProblemType:
    """A kind of error: its code, status, title and what it means."""

    code: str
    status: int
    title: str
    description: str
    #: Documented at ``/problems/<code>``; ``False`` for ``about:blank``.
    documented: bool = True

    @property
    def uri(self) -> str:
        """The ``type`` member of its bodies."""
        return f"{PROBLEMS_PATH}/{self.code}" if self.documented else "about:blank"

    def body(self, detail: str, instance: str, **extensions: object) -> dict[str, object]:
        """The problem details of one occurrence."""
        return {
            "type": self.uri,
            "title": self.title,
            "status": self.status,
            "detail": detail,
            "instance": instance,
            "code": self.code,
            **extensions,
        }

    def response(
        self,
        detail: str,
        instance: str,
        headers: Mapping[str, str] | None = None,
        **extensions: object,
    ) -> JSONResponse:
        """An ``application/problem+json`` response of one occurrence."""
        return JSONResponse(
            self.body(detail, instance, **extensions),
            status_code=self.status,
            headers=headers,
            media_type=PROBLEM_JSON,
        )

    async def send(
        self,
        send: Send,
        detail: str,
        instance: str,
        headers: Sequence[tuple[bytes, bytes]] = (),
        **extensions: object,
    ) -> None:
        """Answer on a raw ASGI ``send``, outside FastAPI (a middleware's refusal)."""
        content = json.dumps(self.body(detail, instance, **extensions)).encode()
        start = {
            "type": "http.response.start",
            "status": self.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode("latin-1")),
                (b"content-length", str(len(content)).encode("latin-1")),
                *headers,
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": content})


def about_blank(status: int) -> ProblemType:
    """The type of an HTTP error that has none of its own (RFC 9457, section 4.2.1)."""
    phrase = HTTPStatus(status).phrase
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    return ProblemType(code, status, phrase, phrase, documented=False)


INVALID_IF_MATCH: Final = ProblemType(
    "invalid_if_match",
    400,
    "Invalid If-Match",
    "`If-Match` is neither one strong entity tag nor `*`; nothing was changed.",
)
UNREADABLE_BODY: Final = ProblemType(
    "unreadable_body",
    400,
    "Unreadable body",
    "The body cannot be parsed at all (JSON nested deeper than the parser reads); nothing "
    "was changed.",
)
UNAUTHENTICATED: Final = ProblemType(
    "unauthenticated",
    401,
    "Unauthenticated",
    "No bearer token, or one that fails a check (signature, expiry, issuer, audience, "
    "claims); `WWW-Authenticate` says which. The request was not read further.",
)
FORBIDDEN: Final = ProblemType(
    "forbidden",
    403,
    "Forbidden",
    "The token's roles do not allow this action; nothing was changed.",
)
NOT_FOUND: Final = ProblemType(
    "not_found",
    404,
    "Not found",
    "No such resource in the caller's tenant (another tenant's rows are not found either).",
)
METHOD_NOT_ALLOWED: Final = ProblemType(
    "method_not_allowed",
    405,
    "Method not allowed",
    "The path exists but not with this method; `Allow` lists the methods it takes.",
)
INVALID_TRANSITION: Final = ProblemType(
    "invalid_transition",
    409,
    "Invalid transition",
    "The workflow does not move from the row's state to the one asked; nothing was changed.",
)
CONCURRENT_CHANGE: Final = ProblemType(
    "concurrent_change",
    409,
    "Concurrent change",
    "The row kept changing under the write, which was retried and gave up; nothing was "
    "changed. Read the row again and retry.",
)
DUPLICATE_VALUE: Final = ProblemType(
    "duplicate_value",
    409,
    "Duplicate value",
    "A unique field's value is already taken in the tenant; nothing was changed.",
)
IN_USE: Final = ProblemType(
    "in_use",
    409,
    "In use",
    "Other rows still refer to this one, and the relation does not allow deleting it; "
    "nothing was changed.",
)
PRECONDITION_FAILED: Final = ProblemType(
    "precondition_failed",
    412,
    "Precondition failed",
    "`If-Match` names a version the row no longer has; nothing was changed. "
    "`current_version` and `ETag` give the version it has now.",
)
REQUEST_TOO_LARGE: Final = ProblemType(
    "request_too_large",
    413,
    "Request too large",
    "The body is larger than the service accepts; it was not read past the limit, and "
    "nothing was changed.",
)
INVALID_REQUEST: Final = ProblemType(
    "invalid_request",
    422,
    "Invalid request",
    "The parameters or the body do not fit the operation; `errors` names each problem "
    "with a short excerpt of the value. Nothing was changed.",
)
INVALID_VALUE: Final = ProblemType(
    "invalid_value",
    422,
    "Invalid value",
    "A value breaks a rule of the entity; nothing was changed.",
)
IDEMPOTENCY_KEY_REUSED: Final = ProblemType(
    "idempotency_key_reused",
    422,
    "Idempotency key reused",
    "The `Idempotency-Key` came with another body before; nothing was changed.",
)
UNKNOWN_REFERENCE: Final = ProblemType(
    "unknown_reference",
    422,
    "Unknown reference",
    "The body refers to a row that does not exist in the tenant; nothing was changed.",
)
INTERNAL_ERROR: Final = ProblemType(
    "internal_error",
    500,
    "Internal error",
    "A fault of the service; it is logged with the request id (`X-Request-ID`).",
)
UNAVAILABLE: Final = ProblemType(
    "unavailable",
    503,
    "Unavailable",
    "A dependency cannot be reached; nothing was changed. Retry after `Retry-After`.",
)
OUTCOME_UNKNOWN: Final = ProblemType(
    "outcome_unknown",
    503,
    "Outcome unknown",
    "The database did not confirm the commit: the write may or may not have been stored. "
    "Read before retrying (a create with an `Idempotency-Key` may simply be retried).",
)


class FieldProblem(BaseModel):
    """One thing wrong with a request's parameters or body."""

    type: str = Field(description="The rule broken, e.g. `string_too_long`")
    loc: list[str | int] = Field(description="Where: `body` or `query`, then the field")
    msg: str = Field(description="What was wrong, for people")
    input: Any = Field(description="An excerpt of the refused value (at most 64 characters)")


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details, ``application/problem+json``)."""

    type: str = Field(description="The problem type's URI: `/problems/<code>` documents it")
    title: str = Field(description="The problem type, for people")
    status: int = Field(description="The HTTP status")
    detail: str = Field(description="This occurrence, for people")
    instance: str = Field(description="The request's path")
    code: str = Field(description="The problem type, for programs: e.g. `concurrent_change`")
    errors: list[FieldProblem] | None = Field(
        default=None, description="`invalid_request` only: each problem of the request"
    )
    current_version: int | None = Field(
        default=None, description="`precondition_failed` only: the row's version now (its `ETag`)"
    )


class ProblemTypeRead(BaseModel):
    """What a problem type means."""

    type: str
    code: str
    status: int
    title: str
    description: str


def problems_router(types: Iterable[ProblemType]) -> APIRouter:
    """``GET /problems`` and ``GET /problems/{code}``: the documentation of ``types``."""
    by_code = {kind.code: kind for kind in types}
    router = APIRouter(prefix=PROBLEMS_PATH, tags=["problems"])

    def read(kind: ProblemType) -> ProblemTypeRead:
        return ProblemTypeRead(
            type=kind.uri,
            code=kind.code,
            status=kind.status,
            title=kind.title,
            description=kind.description,
        )

    @router.get("", summary="Every problem type the service answers with")
    async def list_problem_types() -> list[ProblemTypeRead]:
        return [read(kind) for kind in sorted(by_code.values(), key=lambda k: k.code)]

    @router.get(
        "/{code}",
        summary="What a problem type means",
        responses={404: {"model": Problem, "description": "No such problem type"}},
    )
    async def read_problem_type(code: str) -> ProblemTypeRead:
        if code not in by_code:
            raise UnknownProblemTypeError(code)
        return read(by_code[code])

    return router


class UnknownProblemTypeError(LookupError):
    """``/problems/<code>`` names no type of this service (404)."""

    def __init__(self, code: str) -> None:
        """Name the code, shortened."""
        super().__init__(f"no problem type {code[:64]!r}")


def problem_media_types(document: dict[str, Any]) -> dict[str, Any]:
    """Document the error bodies as problem details (FastAPI writes them as JSON).

    Every error response's body becomes ``application/problem+json``; FastAPI's own 422
    (``HTTPValidationError``, on the operations that list no 422 of theirs) becomes the
    :class:`Problem` the service really sends, and its schemas go. Changes ``document``
    in place, and returns it.
    """
    problem = {"$ref": "#/components/schemas/Problem"}
    fastapi_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                body = content.get("application/json", {})
                if body.get("schema") == fastapi_422:
                    body["schema"] = problem
                    answer["description"] = INVALID_REQUEST.description
                failed = status.isdigit() and int(status) >= HTTPStatus.BAD_REQUEST
                if failed and body.get("schema") == problem:
                    content[PROBLEM_JSON] = content.pop("application/json")
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document
