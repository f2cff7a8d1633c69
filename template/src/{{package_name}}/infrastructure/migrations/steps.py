"""What the revisions of schema changes share: checks and back-fills over every tenant's rows.

A revision, once released, never changes, and these functions keep their meaning for as
long as a revision calls them. Row-level security binds the tables' owner too (FORCE) on
PostgreSQL, so a migration that must see every tenant's rows lifts it for its own
statements, inside its transaction, and forces it again.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import context, op

#: How many offending values a refusal names.
SHOWN = 5


class MigrationRefusedError(RuntimeError):
    """The rows a change would rewrite break its new rule; the transaction changes nothing."""


@contextmanager
def every_tenant(table: str) -> Iterator[None]:
    """Let the statements inside see and change the rows of every tenant of ``table``."""
    postgresql = op.get_context().dialect.name == "postgresql"
    if postgresql:
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    yield
    if postgresql:
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')


def fill(table: str, column: sa.ColumnClause[Any], value: object) -> None:
    """Set ``column`` to ``value`` in every row of ``table`` where it holds none."""
    rows = sa.table(table, column)
    with every_tenant(table):
        op.execute(rows.update().where(column.is_(None)).values({column.name: value}))


def copy_rows(source: str, target: str, columns: Mapping[str, str]) -> None:
    """Copy every row of ``source`` (every tenant's) into ``target``.

    Args:
        source: The table read.
        target: The table written, empty.
        columns: Each column of ``source`` read, with the column of ``target`` it fills.
    """
    into = ", ".join(f'"{name}"' for name in columns.values())
    read = ", ".join(f'"{name}"' for name in columns)
    with every_tenant(source), every_tenant(target):
        op.execute(f'INSERT INTO "{target}" ({into}) SELECT {read} FROM "{source}"')  # noqa: S608 - fixed by the revision


def require(table: str, condition: str, rule: str) -> None:
    """Stop the migration if a row of ``table`` breaks ``condition`` (SQL), naming ``rule``.

    Raises:
        MigrationRefusedError: Some rows break it; they are counted in the message.
    """
    if context.is_offline_mode():
        return
    query = sa.text(f'SELECT count(*) FROM "{table}" WHERE NOT ({condition})')  # noqa: S608 - fixed by the revision
    with every_tenant(table):
        count = op.get_bind().execute(query).scalar_one()
    if count:
        message = (
            f"{count} row(s) of {table} break the new rule ({rule}); change or delete them, "
            "then upgrade again. Nothing was changed."
        )
        raise MigrationRefusedError(message)


def require_unique(table: str, column: str) -> None:
    """Stop the migration if two rows of one tenant share a value of ``column``.

    Raises:
        MigrationRefusedError: Duplicates exist; the first few values are named.
    """
    if context.is_offline_mode():
        return
    query = sa.text(
        f'SELECT tenant_id, "{column}", count(*) FROM "{table}" '  # noqa: S608 - fixed by the revision
        f'WHERE "{column}" IS NOT NULL GROUP BY tenant_id, "{column}" HAVING count(*) > 1'
    )
    with every_tenant(table):
        duplicates = op.get_bind().execute(query).all()
    if duplicates:
        shown = ", ".join(f"{value!r} ({count} rows)" for _, value, count in duplicates[:SHOWN])
        message = (
            f"{table}.{column} cannot become unique: {len(duplicates)} value(s) are held by "
            f"several rows of one tenant: {shown}. Change them, then upgrade again. "
            "Nothing was changed."
        )
        raise MigrationRefusedError(message)


def rename_index(
    table: str, old: str, new: str, columns: list[str], *, unique: bool = False
) -> None:
    """Rename an index of ``table`` (already renamed itself) from ``old`` to ``new``.

    PostgreSQL renames it in place: foreign keys of other tables may depend on it. SQLite
    cannot rename an index; it is dropped and created again on the same columns.
    """
    if op.get_context().dialect.name == "postgresql":
        op.execute(f'ALTER INDEX "{old}" RENAME TO "{new}"')
    else:
        op.drop_index(old, table_name=table)
        op.create_index(new, table, columns, unique=unique)
