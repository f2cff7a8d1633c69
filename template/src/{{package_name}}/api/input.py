"""What every request body and text parameter refuses, with 422, on every database alike.

Unknown keys; NaN and infinities (no column keeps them); integers an integer column
cannot hold; and the NUL character, which PostgreSQL refuses to store and SQLite would
keep: one rule, one answer on both. Lone surrogates are refused by pydantic already.
"""

from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

NUL_REFUSED: Final = "may not contain the NUL character (U+0000)"
#: What an integer column holds on PostgreSQL (4 bytes), and so what any integer a
#: client sends may be, on every database: a larger one is a 422, not an overflow.
INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1


def without_nul(value: str) -> str:
    """``value``, if it holds no NUL character.

    Raises:
        ValueError: It does; pydantic answers 422 naming the field.
    """
    if "\x00" in value:
        raise ValueError(NUL_REFUSED)
    return value


#: Text a client sends in a query parameter.
FilterText = Annotated[str, AfterValidator(without_nul)]
#: An integer field's value, in a body or a query parameter.
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]


class Input(BaseModel):
    """A request body."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: object) -> object:
        return without_nul(value) if isinstance(value, str) else value
