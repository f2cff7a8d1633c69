"""The entity model a render reads: built once from the answers, handed to every template.

:class:`generator.filters.FiltersExtension` puts one :class:`Model` into the context of
every template Copier renders (a context hook), as ``model``; templates read its
attributes instead of calling filters that parse the ``entities`` answer again::

    {% for e in model.specs %}...{% endfor %}          every entity, declaration order
    {%- set e = model.of(entity) -%}                   a per-entity (``yield``) file's entity
    {% if model.graph.links %}...{% endif %}           relations, from both ends
    {%- set m = model.migration(entity, database) -%}  an entity's revision in the chain
"""

from collections.abc import Mapping
from functools import cached_property

from generator.entities import EntitySpec, RelationGraph, parse_entities
from generator.migrations import Migration, chain
from generator.naming import quoted

#: The database actions of ``on_delete`` (``set_null`` is the service's: no action).
_ON_DELETE = {"restrict": "RESTRICT", "cascade": "CASCADE"}


class Model:
    """Every entity of one ``entities`` answer, with its relations and revisions."""

    def __init__(self, specs: list[EntitySpec]) -> None:
        """Index ``specs`` (validated, in declaration order)."""
        self.specs = specs
        self.graph = RelationGraph(specs)
        self._chains: dict[str, list[Migration]] = {}

    @classmethod
    def from_answer(cls, entities: object) -> "Model":
        """Parse the ``entities`` answer (raises :class:`EntityRuleError` if it is invalid)."""
        return cls(parse_entities(entities))

    @cached_property
    def uniques(self) -> list[tuple[str, str, str, str]]:
        """Every unique-per-tenant constraint: (name, entity, field, ``table.column``)."""
        return [
            (name, spec.name, field.name, f"{spec.table}.{field.name}")
            for spec in self.specs
            for name, field in spec.uniques
        ]

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

    def migrations(self, database: str) -> list[Migration]:
        """The revisions on ``database``, oldest first: one per entity, in declaration order."""
        if database not in self._chains:
            self._chains[database] = chain(self.specs, self.graph, database)
        return self._chains[database]

    def migration(self, entity: Mapping[str, object] | str, database: str) -> Migration:
        """The revision that creates ``entity``'s table, on ``database``."""
        name = self.of(entity).name
        return next(item for item in self.migrations(database) if item.entity.name == name)
