"""The declarative base and the column types every backend stores exactly."""

import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator, TypeEngine


class Base(DeclarativeBase):
    """The base of every table of the service."""


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal stored without rounding: ``NUMERIC`` where the database has it, else text.

    SQLite has no exact decimal type; storing the text keeps every digit.
    """

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use text on SQLite, ``NUMERIC(18, 4)`` elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 4, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        """Write a decimal (as text on SQLite)."""
        if value is None or dialect.name != "sqlite":
            return value
        return str(value)

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        """Read a decimal back."""
        del dialect
        return None if value is None else Decimal(str(value))


class UtcDateTime(TypeDecorator[datetime.datetime]):
    """A timestamp that is always stored and returned in UTC, also on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        """Refuse naive timestamps; store UTC."""
        del dialect
        if value is None:
            return None
        if value.tzinfo is None:
            message = "naive datetimes are ambiguous; pass an aware one"
            raise ValueError(message)
        return value.astimezone(datetime.UTC)

    def process_result_value(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        """Return an aware UTC timestamp."""
        del dialect
        if value is None:
            return None
        return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value
