"""The Alembic operations that create and drop a table, its association tables and keys.

The revision that creates an entity, and the downgrade of one that removes it, write the
same statements; so do the revisions that add, drop or move an association table. Each
function returns the statements' lines, indented for a function body, as Alembic's own
autogenerate writes its operations from Python; the revision templates only place them.
Their text is part of every deployed service's revision files: it must not move.
"""

from collections.abc import Sequence

from generator.changes import TableChange
from generator.entities import EntitySpec, RelationGraph
from generator.entities.fields import FieldSpec, Many
from generator.naming import quoted
from generator.pyimports import wrapped

#: The database actions of ``on_delete`` (``set_null`` is the service's: no action).
_ON_DELETE = {"restrict": "RESTRICT", "cascade": "CASCADE"}
_TENANT_POLICY = (
    "    op.execute(",
    "        'CREATE POLICY tenant_isolation ON \"{table}\"'",
    "        \" USING (tenant_id = current_setting('app.tenant_id', true))\"",
    "        \" WITH CHECK (tenant_id = current_setting('app.tenant_id', true))\"",
    "    )",
)


def _policy(table: str) -> list[str]:
    return [line.replace("{table}", table) for line in _TENANT_POLICY]


def _indexed(entity: EntitySpec) -> list[str]:
    workflow = entity.workflow
    return ["tenant_id"] + ([workflow.field] if workflow else [])


def _late(entity: EntitySpec, database: str) -> list[FieldSpec]:
    """Self-references on PostgreSQL: added after the key they refer to exists."""
    if database != "postgresql":
        return []
    return [f for f in entity.relations if f.relation and f.relation.target == entity.name]


def _column_type(entity: EntitySpec, expression: str) -> str:
    own = [name for name in entity.orm_imports if name != "Base"]
    return expression if expression.split("(", maxsplit=1)[0] in own else f"sa.{expression}"


def create_keys(targets: Sequence[EntitySpec]) -> list[str]:
    """The ``(tenant_id, id)`` keys foreign keys into ``targets`` refer to."""
    lines: list[str] = []
    for target in targets:
        lines += [
            "    # The key the foreign keys into "
            f"{target.table} refer to: a relation never crosses tenants.",
            "    op.create_index(",
            f'        "{target.key_index}",',
            f'        "{target.table}",',
            '        ["tenant_id", "id"],',
            "        unique=True,",
            "    )",
        ]
    return lines


def drop_keys(targets: Sequence[EntitySpec]) -> list[str]:
    """Drop what :func:`create_keys` creates, in reverse."""
    return [
        f'    op.drop_index("{target.key_index}", table_name="{target.table}")'
        for target in reversed(targets)
    ]


def create_link(owner: EntitySpec, item: Many, target: EntitySpec, database: str) -> list[str]:
    """An association table: both keys stay in the tenant and cascade."""
    lines = [
        f"    # One row per {item.name} link; both keys stay in the tenant and cascade.",
        "    op.create_table(",
        f'        "{item.table}",',
        '        sa.Column("tenant_id", sa.String(64), nullable=False),',
        f'        sa.Column("{item.owner_column}", sa.Uuid(), nullable=False),',
        f'        sa.Column("{item.target_column}", sa.Uuid(), nullable=False),',
        "        sa.PrimaryKeyConstraint(",
        '            "tenant_id",',
        f'            "{item.owner_column}",',
        f'            "{item.target_column}",',
        f'            name="pk_{item.table}",',
        "        ),",
    ]
    for column, end, name in (
        (item.owner_column, owner, item.fk_owner),
        (item.target_column, target, item.fk_target),
    ):
        lines += [
            "        sa.ForeignKeyConstraint(",
            f'            ["tenant_id", "{column}"],',
            f'            ["{end.table}.tenant_id", "{end.table}.id"],',
            f'            name="{name}",',
            '            ondelete="CASCADE",',
            "        ),",
        ]
    lines += [
        "    )",
        "    op.create_index(",
        f'        "{item.target_index}",',
        f'        "{item.table}",',
        f'        ["tenant_id", "{item.target_column}"],',
        "    )",
    ]
    if database == "postgresql":
        for action in ("ENABLE", "FORCE"):
            statement = f"'ALTER TABLE \"{item.table}\" {action} ROW LEVEL SECURITY'"
            lines.append("    " + wrapped([statement], "op.execute", indent=4, hug=True))
        lines += _policy(item.table)
    return lines


def drop_link(item: Many, database: str) -> list[str]:
    """Drop what :func:`create_link` creates."""
    lines = []
    if database == "postgresql":
        lines.append(f"    op.execute('DROP POLICY tenant_isolation ON \"{item.table}\"')")
    return [
        *lines,
        "    op.drop_index(",
        f'        "{item.target_index}",',
        f'        table_name="{item.table}",',
        "    )",
        f'    op.drop_table("{item.table}")',
    ]


def _foreign_key(name: str, columns: list[str], on_delete: str) -> list[str]:
    lines = [
        "    op.create_foreign_key(",
        f'        "{name}",',
        "        TABLE,",
        "        TABLE,",
        *columns,
    ]
    if on_delete in _ON_DELETE:
        lines.append(f'        ondelete="{_ON_DELETE[on_delete]}",')
    return [*lines, "    )"]


def _columns(entity: EntitySpec, *, versioned: bool) -> list[str]:
    lines = [
        '        sa.Column("id", sa.Uuid(), nullable=False),',
        '        sa.Column("tenant_id", sa.String(64), nullable=False),',
        '        sa.Column("created_by", sa.String(255), nullable=False),',
        '        sa.Column("created_at", UtcDateTime(), nullable=False),',
        '        sa.Column("updated_at", UtcDateTime(), nullable=False),',
    ]
    if versioned:
        lines.append(
            '        sa.Column("version", sa.Integer(), server_default="1", nullable=False),'
        )
    for f in entity.fields:
        column_type = _column_type(entity, f.column_type)
        lines.append(f'        sa.Column("{f.name}", {column_type}, nullable={f.nullable}),')
    if entity.workflow:
        width = max(map(len, entity.workflow.states))
        lines.append(
            f'        sa.Column("{entity.workflow.field}", sa.String({width}), nullable=False),'
        )
    return lines


def _constraints(entity: EntitySpec, graph: RelationGraph, late: list[FieldSpec]) -> list[str]:
    lines = ['        sa.PrimaryKeyConstraint("id"),']
    for name, expression in entity.checks:
        lines.append(f'        sa.CheckConstraint({quoted(expression)}, name="{name}"),')
    for name, f in entity.uniques:
        lines.append(f'        sa.UniqueConstraint("tenant_id", "{f.name}", name="{name}"),')
    for f in entity.relations:
        if f in late or f.relation is None:
            continue
        target = graph.of(f.relation.target)
        lines += [
            "        sa.ForeignKeyConstraint(",
            f'            ["tenant_id", "{f.name}"],',
            f'            ["{target.table}.tenant_id", "{target.table}.id"],',
            f'            name="{entity.foreign_key(f)}",',
        ]
        if f.relation.on_delete in _ON_DELETE:
            lines.append(f'            ondelete="{_ON_DELETE[f.relation.on_delete]}",')
        lines.append("        ),")
    return lines


def _indexes(entity: EntitySpec, *, own_index: bool) -> list[str]:
    lines: list[str] = []
    for column in _indexed(entity):
        lines += [
            "    op.create_index(",
            f'        op.f("{entity.index(column)}"),',
            "        TABLE,",
            f'        ["{column}"],',
            "    )",
        ]
    for f in entity.relations:
        lines += [
            "    op.create_index(",
            f'        "{entity.index(f.name)}",',
            "        TABLE,",
            f'        ["tenant_id", "{f.name}"],',
            "    )",
        ]
    if own_index:
        lines += [
            "    op.create_index(",
            f'        "{entity.key_index}",',
            "        TABLE,",
            '        ["tenant_id", "id"],',
            "        unique=True,",
            "    )",
        ]
    return lines


def create_table(
    entity: EntitySpec,
    graph: RelationGraph,
    indexes: Sequence[EntitySpec],
    database: str,
    *,
    versioned: bool,
) -> list[str]:
    """The table, its constraints and indexes, its policy and its association tables.

    ``indexes``: the targets whose ``(tenant_id, id)`` key the revision creates first
    (its own, if others refer to it, comes after the table).
    """
    others = [spec for spec in indexes if spec.name != entity.name]
    own_index = any(spec.name == entity.name for spec in indexes)
    late = _late(entity, database)
    lines = [
        *create_keys(others),
        "    op.create_table(",
        "        TABLE,",
        *_columns(entity, versioned=versioned),
        *_constraints(entity, graph, late),
        "    )",
        *_indexes(entity, own_index=own_index),
    ]
    for f in late:
        assert f.relation is not None  # noqa: S101 - _late selects relations
        columns = [f'        ["tenant_id", "{f.name}"],', '        ["tenant_id", "id"],']
        lines += _foreign_key(entity.foreign_key(f), columns, f.relation.on_delete)
    if database == "postgresql":
        lines += [
            "    # FORCE: the policy binds the table's owner too; only superusers and roles with",
            "    # BYPASSRLS escape it, and the service refuses to run as one in production.",
            f"    op.execute('ALTER TABLE \"{entity.table}\" ENABLE ROW LEVEL SECURITY')",
            f"    op.execute('ALTER TABLE \"{entity.table}\" FORCE ROW LEVEL SECURITY')",
            *_policy(entity.table),
        ]
    for item in entity.many:
        lines += create_link(entity, item, graph.of(item.target), database)
    return lines


def drop_table(entity: EntitySpec, indexes: Sequence[EntitySpec], database: str) -> list[str]:
    """Drop what :func:`create_table` creates, in reverse."""
    others = [spec for spec in indexes if spec.name != entity.name]
    own_index = any(spec.name == entity.name for spec in indexes)
    lines: list[str] = []
    for item in reversed(entity.many):
        lines += drop_link(item, database)
    if database == "postgresql":
        lines.append(f"    op.execute('DROP POLICY tenant_isolation ON \"{entity.table}\"')")
    for f in _late(entity, database):
        name = entity.foreign_key(f)
        lines.append(f'    op.drop_constraint("{name}", TABLE, type_="foreignkey")')
    if own_index:
        lines.append(f'    op.drop_index("{entity.key_index}", table_name=TABLE)')
    for f in reversed(entity.relations):
        lines.append(f'    op.drop_index("{entity.index(f.name)}", table_name=TABLE)')
    for column in reversed(_indexed(entity)):
        lines += [
            "    op.drop_index(",
            f'        op.f("{entity.index(column)}"),',
            "        table_name=TABLE,",
            "    )",
        ]
    return [*lines, "    op.drop_table(TABLE)", *drop_keys(others)]


def _moved_links(change: TableChange, database: str, *, forward: bool) -> list[str]:
    """A renamed entity's association tables, named after it: new ones take the links."""
    lines: list[str] = []
    for old, new, before, after in change.moved_links:
        source, target = (old, new) if forward else (new, old)
        owner = change.to if forward else change.entity
        assert owner is not None  # noqa: S101 - moved_links is empty unless renamed
        lines += create_link(owner, target, after if forward else before, database)
        lines += [
            "    steps.copy_rows(",
            f'        "{source.table}",',
            f'        "{target.table}",',
            "        {",
            '            "tenant_id": "tenant_id",',
            f'            "{source.owner_column}": "{target.owner_column}",',
            f'            "{source.target_column}": "{target.target_column}",',
            "        },",
            "    )",
        ]
        lines += drop_link(source, database)
    return lines


def table_change(
    change: TableChange,
    database: str,
    statements: list[str],
    *,
    upgrade: bool,
) -> list[str]:
    """The body of a table change's ``upgrade()`` (or ``downgrade()``).

    ``statements``: a rename's own statements (:mod:`generator.revisions`), one way.
    """
    entity = change.entity
    if change.kind == "rename":
        own = [f"    {statement}" for statement in statements]
        return own + _moved_links(change, database, forward=upgrade)
    if change.kind == "drop":
        keys = change.dropped_key_indexes
        if upgrade:
            return drop_table(entity, keys, database)
        assert change.graph is not None  # noqa: S101 - a drop knows the tables before it
        return create_table(entity, change.graph, keys, database, versioned=change.versioned)
    assert change.link is not None  # noqa: S101 - link, unlink
    assert change.graph is not None  # noqa: S101 - a change knows the tables before it
    keys = change.key_indexes if change.kind == "link" else change.dropped_key_indexes
    target = change.graph.of(change.link.target)
    create = create_keys(keys) + create_link(entity, change.link, target, database)
    drop = drop_link(change.link, database) + drop_keys(keys)
    return create if (change.kind == "link") == upgrade else drop
