"""What every request body and text parameter refuses, with 422, on every database alike.

Unknown keys; NaN and infinities (no column keeps them); integers an integer column
cannot hold; and the NUL character, which PostgreSQL refuses to store and SQLite would
keep: one rule, one answer on both. Lone surrogates are refused by pydantic already.
"""

from typing import Annotated, ClassVar, Final, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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


#: An integer field's value.
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]


class Input(BaseModel):
    """A request body."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: object) -> object:
        return without_nul(value) if isinstance(value, str) else value


class Patch(Input):
    """A partial update: a field left out keeps its value.

    Every field is optional, and ``null`` is refused for the fields in
    :attr:`not_nullable` (a required field may be left out, never emptied). The JSON
    schema says the same: those properties do not accept ``null``.
    """

    #: The fields that may be left out but never set to ``null``.
    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_fields_are_not_null(self) -> Self:
        given = self.model_fields_set
        nulls = sorted(
            name for name in self.not_nullable if name in given and getattr(self, name) is None
        )
        if nulls:
            message = f"may not be null: {', '.join(nulls)}"
            raise ValueError(message)
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's schema, without ``null`` for the fields that refuse it."""
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        for name in cls.not_nullable:
            field = schema["properties"][name]
            kinds = [kind for kind in field.pop("anyOf", []) if kind != {"type": "null"}]
            if len(kinds) == 1:
                field.update(kinds[0])
            elif kinds:
                field["anyOf"] = kinds
            field.pop("default", None)
        return reference
