"""The entity model a render reads: built once from the answers, handed to every template.

:class:`generator.filters.FiltersExtension` puts one :class:`Model` into the context of
every template Copier renders (a context hook), as ``model``; templates read its
attributes instead of calling filters that parse the ``entities`` answer again::

    {% for e in model.specs %}...{% endfor %}          every entity, declaration order
    {%- set e = model.of(entity) -%}                   a per-entity (``yield``) file's entity
    {% if model.graph.links %}...{% endif %}           relations, from both ends
    {% yield m from model.creations(database) %}       the revisions that create a table
    {% yield change from model.changes(database) %}    every later change, one revision each
"""

from collections.abc import Mapping
from functools import cached_property
from typing import TypeAlias

from generator import pyliteral, revisions, tables
from generator.changes import Change, TableChange, TemplateChange
from generator.entities import EntitySpec, RelationGraph, cases, parse_entities
from generator.migrations import Chain, Migration, history_chain
from generator.naming import quoted
from generator.schema import History

Revision: TypeAlias = Migration | Change | TableChange | TemplateChange

#: The database actions of ``on_delete`` (``set_null`` is the service's: no action).
_ON_DELETE = {"restrict": "RESTRICT", "cascade": "CASCADE"}


class Model:
    """Every entity of one ``entities`` answer, with its relations and revisions."""

    def __init__(self, specs: list[EntitySpec], history: History | None = None) -> None:
        """Index ``specs`` (validated, in declaration order) and the history that led to them.

        Without a history, ``specs`` are its only snapshot: one revision per entity.
        """
        self.specs = specs
        self.graph = RelationGraph(specs)
        self.history = history
        self._chains: dict[str, Chain] = {}

    @classmethod
    def from_answer(cls, entities: object, history: list[object] | None = None) -> "Model":
        """Parse the ``entities`` and ``schema_history`` answers.

        Raises:
            EntityRuleError: An answer is invalid, or the history cannot be followed.
        """
        return cls(parse_entities(entities), None if history is None else History.parse(history))

    @cached_property
    def uniques(self) -> list[tuple[str, str, str, str]]:
        """Every unique-per-tenant constraint: (name, entity, field, ``table.column``)."""
        return [
            (name, spec.name, field.name, f"{spec.table}.{field.name}")
            for spec in self.specs
            for name, field in spec.uniques
        ]

    def case(self, spec: EntitySpec) -> str:
        """``"Name": Case(...),`` of the rendered tests' table, from column 4."""
        head = f"{quoted(spec.name)}: "
        return pyliteral.layout(cases.case(spec, self.graph), indent=4, head=head, tail=",")

    def fake_arguments(self, spec: EntitySpec) -> list[str]:
        """The arguments of an entity's fake repository in the rendered tests' unit of work."""
        return cases.fake_arguments(spec, self.graph)

    def of(self, entity: Mapping[str, object] | str) -> EntitySpec:
        """The spec of an item of the answer (or of an entity name).

        Raises:
            LookupError: ``entity`` is not one of the entities.
        """
        name = entity if isinstance(entity, str) else str(entity["name"])
        try:
            return self.graph.of(name)
        except KeyError:
            message = f"entity {name!r} is not one of the entities"
            raise LookupError(message) from None

    def table_args(self, entity: EntitySpec) -> list[str]:
        """The ``__table_args__`` items of an entity's ORM row, as Python expressions.

        Its CHECK and unique-per-tenant constraints, the ``(tenant_id, id)`` index other
        tables' foreign keys refer to, and per relation its composite foreign key and index.
        """
        found = [
            f"CheckConstraint({quoted(expression)}, name={quoted(name)})"
            for name, expression in entity.checks
        ]
        found += [
            f'UniqueConstraint("tenant_id", "{field.name}", name="{name}")'
            for name, field in entity.uniques
        ]
        if self.graph.keyed(entity.name):
            found.append(f'Index("{entity.key_index}", "tenant_id", "id", unique=True)')
        for field in entity.relations:
            assert field.relation is not None  # noqa: S101 - relations() selects them
            target = self.graph.of(field.relation.target).table
            ondelete = _ON_DELETE.get(field.relation.on_delete)
            arguments = [
                f'["tenant_id", "{field.name}"]',
                f'["{target}.tenant_id", "{target}.id"]',
                f'name="{entity.foreign_key(field)}"',
                *([f'ondelete="{ondelete}"'] if ondelete else []),
            ]
            body = "".join(f"            {argument},\n" for argument in arguments)
            found.append(f"ForeignKeyConstraint(\n{body}        )")
            found.append(f'Index("{entity.index(field.name)}", "tenant_id", "{field.name}")')
        return found

    def _chain(self, database: str) -> Chain:
        if database not in self._chains:
            history = self.history or History.first(self.specs)
            self._chains[database] = history_chain(history, database)
        return self._chains[database]

    def creations(self, database: str) -> list[Migration]:
        """The revisions that create a table on ``database``, in the order of the chain."""
        return self._chain(database)[0]

    def changes(self, database: str) -> list[Change]:
        """The revisions of every later change, oldest first."""
        return self._chain(database)[1]

    def table_changes(self, database: str) -> list[TableChange]:
        """The revisions that drop a table or add or drop an association table."""
        return self._chain(database)[2]

    def template_changes(self, database: str) -> list[TemplateChange]:
        """The revisions of the template's own steps (``{template: name}`` in the history)."""
        return self._chain(database)[3]

    def revisions(self, database: str) -> list[Revision]:
        """Every revision on ``database``, oldest first (each one's parent before it)."""
        creations, changes, tables, steps = self._chain(database)
        items: list[Revision] = [*creations, *changes, *tables, *steps]
        by_parent = {item.down_revision: item for item in items}
        ordered: list[Revision] = []
        while (item := by_parent.get(ordered[-1].revision if ordered else None)) is not None:
            ordered.append(item)
        return ordered

    @cached_property
    def _tables(self) -> dict[str, str]:
        snapshots = self.history.snapshots if self.history else []
        return {spec.name: spec.table for s in snapshots for spec in s.specs} | {
            spec.name: spec.table for spec in self.specs
        }

    def upgrade(self, change: Change | TableChange) -> list[str]:
        """The statements of a change revision's ``upgrade()`` (a column, or a renamed table)."""
        return revisions.upgrade(change, self._tables)

    def downgrade(self, change: Change | TableChange) -> list[str]:
        """The statements of a change revision's ``downgrade()``: the move back."""
        return revisions.downgrade(change, self._tables)

    def create_table(self, migration: Migration, database: str) -> str:
        """The body of a create revision's ``upgrade()``: the table, keys, policy, links."""
        assert migration.graph is not None  # noqa: S101 - the chain sets every graph
        lines = tables.create_table(
            migration.entity,
            migration.graph,
            migration.indexes,
            database,
            versioned=migration.versioned,
        )
        return "\n".join(lines)

    def drop_table(self, migration: Migration, database: str) -> str:
        """The body of a create revision's ``downgrade()``."""
        return "\n".join(tables.drop_table(migration.entity, migration.indexes, database))

    def table_change(self, change: TableChange, database: str, *, upgrade: bool) -> str:
        """The body of a table change's ``upgrade()`` or ``downgrade()``."""
        statements: list[str] = []
        if change.kind == "rename":
            statements = self.upgrade(change) if upgrade else self.downgrade(change)
        return "\n".join(tables.table_change(change, database, statements, upgrade=upgrade))

    def offline(self, database: str) -> tuple[int | None, list[str]]:
        """How far ``alembic upgrade --sql`` goes, and the tables its SQL creates.

        Returns:
            The index in :meth:`revisions` of the last revision offline SQL reaches
            (``None``: all of them), and the tables (association tables included) that the
            create revisions up to there make. SQLite's batch migrations read the live
            table they rebuild: offline, SQLite stops before the first change.
        """
        revisions = self.revisions(database)
        first = next((i for i, r in enumerate(revisions) if not isinstance(r, Migration)), None)
        stop = first if database == "sqlite" and first is not None else len(revisions)
        made = [item.entity for item in revisions[:stop] if isinstance(item, Migration)]
        tables = [table for e in made for table in (e.table, *(link.table for link in e.many))]
        return (stop - 1 if stop < len(revisions) else None), tables

    def migrations(self, database: str) -> list[Migration]:
        """The revisions that create a table, oldest first (:meth:`creations`)."""
        return self.creations(database)

    def migration(self, entity: Mapping[str, object] | str, database: str) -> Migration:
        """The revision that creates ``entity``'s table, on ``database``."""
        name = self.of(entity).name
        return next(item for item in self.creations(database) if item.entity.name == name)
