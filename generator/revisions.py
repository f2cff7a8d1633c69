"""The Python of a change revision: the operations of its upgrade and of its downgrade.

Every change of one field is the same move from one column to another (either side may be
missing: an addition has no ``before``, a removal no ``after``), so one function writes
both directions: :func:`operations` from ``before`` to ``after`` is the upgrade, from
``after`` to ``before`` the downgrade. In order, a move

1. checks the rows the new column's rules would refuse, and stops with a message naming
   the rule and the count (``steps.require``, ``steps.require_unique``), before any change;
2. drops the constraints of the old column that the new one does not keep;
3. adds, renames or alters the column (one ``batch_alter_table``: SQLite rebuilds the
   table, PostgreSQL alters it), filling the rows that hold no value with the default;
4. creates the new column's constraints, and the ``(tenant_id, id)`` index a new foreign
   key refers to.

The rendered revisions call the ``steps`` module of the service's migrations package for
what must see every tenant's rows (row-level security binds the owner, FORCE).
"""

from dataclasses import dataclass, replace

from generator.changes import Change, TableChange
from generator.entities import EntitySpec, FieldSpec
from generator.entities.kinds import OWN_COLUMN_TYPES
from generator.entities.values import _literal
from generator.pyimports import wrapped

_ON_DELETE = {"restrict": "RESTRICT", "cascade": "CASCADE"}
#: Statements inside ``def upgrade()`` start here; inside a ``with`` block, 4 further.
_BODY, _BLOCK = 4, 8


@dataclass(frozen=True, slots=True)
class _Constraint:
    """A constraint or index on one column: how to create it and how to drop it."""

    name: str
    create: str
    drop: str


def _column_type(spec: FieldSpec) -> str:
    own = spec.column_type.split("(")[0] in OWN_COLUMN_TYPES
    return spec.column_type if own else f"sa.{spec.column_type}"


def _constraints(entity: EntitySpec, spec: FieldSpec, tables: dict[str, str]) -> list[_Constraint]:
    """The constraints the database holds for ``spec``, in the order they are created."""
    found = []
    if spec.check:
        name = f"ck_{entity.table}_{spec.name}"
        found.append(
            _Constraint(
                name,
                wrapped(
                    [f'"{name}"', f'"{spec.check}"'], "batch.create_check_constraint", indent=_BLOCK
                ),
                f'batch.drop_constraint("{name}", type_="check")',
            )
        )
    if spec.unique:
        name = f"uq_{entity.table}_{spec.name}"
        found.append(
            _Constraint(
                name,
                wrapped(
                    [f'"{name}"', f'["tenant_id", "{spec.name}"]'],
                    "batch.create_unique_constraint",
                    indent=_BLOCK,
                ),
                f'batch.drop_constraint("{name}", type_="unique")',
            )
        )
    if entity.workflow is not None and spec.name == entity.workflow.field:
        index = entity.index(spec.name)
        found.append(
            _Constraint(
                index,
                wrapped([f'"{index}"', f'["{spec.name}"]'], "batch.create_index", indent=_BLOCK),
                f'batch.drop_index("{index}")',
            )
        )
    if spec.relation is not None:
        name = entity.foreign_key(spec)
        target = spec.relation.target
        arguments = [
            f'"{name}"',
            f'"{tables[target]}"',
            f'["tenant_id", "{spec.name}"]',
            '["tenant_id", "id"]',
        ]
        if (ondelete := _ON_DELETE.get(spec.relation.on_delete)) is not None:
            arguments.append(f'ondelete="{ondelete}"')
        found.append(
            _Constraint(
                name,
                wrapped(arguments, "batch.create_foreign_key", indent=_BLOCK),
                f'batch.drop_constraint("{name}", type_="foreignkey")',
            )
        )
        index = entity.index(spec.name)
        found.append(
            _Constraint(
                index,
                wrapped(
                    [f'"{index}"', f'["tenant_id", "{spec.name}"]'],
                    "batch.create_index",
                    indent=_BLOCK,
                ),
                f'batch.drop_index("{index}")',
            )
        )
    return found


def _checks(before: FieldSpec, after: FieldSpec) -> list[str]:
    """The rows ``after``'s rules refuse, checked while the column is still ``before``."""
    found = []
    column = before.name
    if (
        after.type == "str"
        and after.max_length is not None
        and (before.max_length is None or after.max_length < before.max_length)
    ):
        found.append(
            wrapped(
                [
                    "TABLE",
                    f'"length({column}) <= {after.max_length}"',
                    f'"max_length {after.max_length}"',
                ],
                "steps.require",
                indent=_BODY,
            )
        )
    if after.check and after.check != before.check:
        found.append(
            wrapped(
                ["TABLE", f'"{after.check}"', f'"{after.check}"'], "steps.require", indent=_BODY
            )
        )
    if after.type == "str" and (gone := [v for v in before.values if v not in after.values]):
        allowed = ", ".join(f"'{value}'" for value in after.values)
        found.append(
            wrapped(
                ["TABLE", f'"{column} IN ({allowed})"', f'"states {", ".join(gone)} removed"'],
                "steps.require",
                indent=_BODY,
            )
        )
    if after.unique and not before.unique:
        found.append(wrapped(["TABLE", f'"{column}"'], "steps.require_unique", indent=_BODY))
    if before.nullable and not after.nullable and not after.has_default:
        found.append(
            wrapped(
                ["TABLE", f'"{column} IS NOT NULL"', '"required"'], "steps.require", indent=_BODY
            )
        )
    return found


def _fill(spec: FieldSpec, column: str) -> str:
    """Set ``column`` to ``spec``'s default in every row that holds none."""
    return wrapped(
        ["TABLE", f'sa.column("{column}", {_column_type(spec)})', _literal(spec.default)],
        "steps.fill",
        indent=_BODY,
    )


def operations(
    previous: EntitySpec,
    before: FieldSpec | None,
    entity: EntitySpec,
    after: FieldSpec | None,
    keys: tuple[tuple[EntitySpec, ...], tuple[EntitySpec, ...]],
    tables: dict[str, str],
) -> list[str]:
    """The statements that move the column ``before`` of ``previous`` to ``after`` of ``entity``.

    Returns:
        The body of ``upgrade()`` (or ``downgrade()``), one statement per item, each
        indented for the function body, ``with`` blocks included.
    """
    created_keys, dropped_keys = keys
    old = _constraints(previous, before, tables) if before else []
    new = _constraints(entity, after, tables) if after else []
    dropped = [item for item in old if item not in new]
    created = [item for item in new if item not in old]
    statements: list[str] = []
    if before is not None and after is not None:
        statements += _checks(before, after)
    batch: list[str] = [item.drop for item in reversed(dropped)]
    if before is None and after is not None:
        column = f'sa.Column("{after.name}", {_column_type(after)}, nullable=True)'
        batch.append(f"batch.add_column({column})")
    elif after is None and before is not None:
        batch.append(f'batch.drop_column("{before.name}")')
    elif before is not None and after is not None:
        arguments = [f'"{before.name}"']
        if before.name != after.name:
            arguments.append(f'new_column_name="{after.name}"')
        if before.column_type != after.column_type:
            arguments += [f"existing_type={_column_type(before)}", f"type_={_column_type(after)}"]
        else:
            arguments.append(f"existing_type={_column_type(after)}")
        if before.nullable != after.nullable and (after.nullable or not after.has_default):
            arguments.append(f"nullable={after.nullable}")
        else:
            arguments.append(f"existing_nullable={before.nullable}")
        batch.append(wrapped(arguments, "batch.alter_column", indent=_BLOCK))
    statements += _batch(batch)
    late: list[str] = []
    if after is not None and after.has_default and (before is None or before.nullable):
        statements.append(_fill(after, after.name))
        if not after.nullable:
            late.append(
                wrapped(
                    [f'"{after.name}"', f"existing_type={_column_type(after)}", "nullable=False"],
                    "batch.alter_column",
                    indent=_BLOCK,
                )
            )
    statements += [_key_index(spec) for spec in created_keys]
    statements += _batch(late + [item.create for item in created])
    statements += [
        f'op.drop_index("{spec.key_index}", table_name="{spec.table}")' for spec in dropped_keys
    ]
    return statements or ["pass"]


def _key_index(spec: EntitySpec) -> str:
    return wrapped(
        [f'"{spec.key_index}"', f'"{spec.table}"', '["tenant_id", "id"]', "unique=True"],
        "op.create_index",
        indent=_BODY,
    )


def _batch(statements: list[str], table: str = "TABLE") -> list[str]:
    if not statements:
        return []
    body = "\n".join(" " * _BLOCK + statement for statement in statements)
    return [f"with op.batch_alter_table({table}) as batch:\n{body}"]


def rename(old: EntitySpec, new: EntitySpec, *, keyed: bool, tables: dict[str, str]) -> list[str]:
    """The statements that rename ``old``'s table to ``new``'s, with every name it carries.

    Constraints named after the table are dropped before and created after the rename;
    indexes are renamed (``steps.rename_index``: in place on PostgreSQL, where foreign keys
    of other tables depend on the ``(tenant_id, id)`` key; dropped and created on SQLite).
    Row-level security, policies and the foreign keys of other tables follow the table.
    """
    dropped = [item.drop for spec in old.fields for item in _constraints(old, spec, tables)]
    created = [item.create for spec in new.fields for item in _constraints(new, spec, tables)]
    statements = _batch(dropped[::-1], f'"{old.table}"')
    statements.append(f'op.rename_table("{old.table}", "{new.table}")')
    columns = ["tenant_id"] + ([old.workflow.field] if old.workflow else [])
    indexes = [(old.index(column), new.index(column), [column], False) for column in columns]
    if keyed:
        indexes.append((old.key_index, new.key_index, ["tenant_id", "id"], True))
    for before, after, indexed, unique in indexes:
        listed = ", ".join(f'"{column}"' for column in indexed)
        arguments = [f'"{new.table}"', f'"{before}"', f'"{after}"', f"[{listed}]"]
        if unique:
            arguments.append("unique=True")
        statements.append(wrapped(arguments, "steps.rename_index", indent=_BODY))
    return statements + _batch(created, f'"{new.table}"')


def upgrade(change: Change | TableChange, tables: dict[str, str]) -> list[str]:
    """The body of the revision's ``upgrade()``; ``tables`` maps entity names to tables.

    A column change, or a renamed table (the other table changes are template macros).
    """
    if isinstance(change, TableChange):
        assert change.to is not None  # noqa: S101 - other table changes are macros
        return rename(change.entity, change.to, keyed=change.keyed, tables=tables)
    keys = (change.key_indexes, change.dropped_key_indexes)
    return operations(change.previous, change.before, change.entity, change.after, keys, tables)


def downgrade(change: Change | TableChange, tables: dict[str, str]) -> list[str]:
    """The body of the revision's ``downgrade()``: the move back.

    A removed column comes back empty, so nullable: its data went with the upgrade (a
    workflow's column comes back with every row in the initial state).
    """
    if isinstance(change, TableChange):
        assert change.to is not None  # noqa: S101 - other table changes are macros
        return rename(change.to, change.entity, keyed=change.keyed, tables=tables)
    before = change.before
    flow = change.previous.workflow
    if change.kind == "remove" and before is not None:
        if flow is not None and before.name == flow.field:
            # The states are gone: every row comes back in the initial state.
            before = replace(before, default=flow.initial, has_default=True)
        else:
            before = replace(before, nullable=True, has_default=False)
    keys = (change.dropped_key_indexes, change.key_indexes)
    return operations(change.entity, change.after, change.previous, before, keys, tables)
