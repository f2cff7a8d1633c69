"""Row versions over HTTP: the ``ETag`` a read answers with, the ``If-Match`` a write sends.

Every row has a version, 1 when created and one more at each change; its ``ETag`` is the
version as a strong entity tag: ``"3"``. A write (``PATCH``, a workflow move, ``DELETE``)
that sends ``If-Match: "3"`` changes the row only while it is still at version 3, and is
answered ``412 Precondition Failed`` with the current version otherwise. ``If-Match`` is
optional: a write without it is applied to the row as it is when the write runs, and only
to the fields it names; it never overwrites a change it did not see.
"""

import re
from typing import Annotated, Final

from fastapi import Header, Response

#: One strong entity tag holding a version: ``"3"``.
_TAG: Final = re.compile(r'"(?P<version>[1-9][0-9]{0,17})"')


class InvalidIfMatchError(ValueError):
    """``If-Match`` is not one strong entity tag of this service (``"3"``) nor ``*``."""

    def __init__(self, value: str) -> None:
        """Name what was sent, cut short."""
        super().__init__(
            f'If-Match must be one ETag this service sent, like "3", or *; got {value[:40]!r}'
        )


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            'The row\'s ETag as last read (`"3"`): the write applies only if the row is still '
            "at that version, otherwise 412 with the current version. Optional."
        ),
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The version ``If-Match`` names; ``None`` without one, or for ``*`` (any version).

    Raises:
        InvalidIfMatchError: It names no version of this service (a weak tag, a list, junk).
    """
    if if_match is None or if_match.strip() == "*":
        return None
    found = _TAG.fullmatch(if_match.strip())
    if found is None:
        raise InvalidIfMatchError(if_match)
    return int(found["version"])


def tag(response: Response, version: int) -> None:
    """Send the row's version as its ``ETag``."""
    response.headers["ETag"] = f'"{version}"'
