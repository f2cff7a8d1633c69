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


class Model:
    """Every entity of one ``entities`` answer, with its relations and revisions."""

    def __init__(self, specs: list[EntitySpec]) -> None:
        """Index ``specs`` (validated, in declaration order)."""
        self.specs = specs
        self.graph = RelationGraph(specs)
        self._chains: dict[str, dict[str, Migration]] = {}

    @classmethod
    def from_answer(cls, entities: object) -> "Model":
        """Parse the ``entities`` answer (raises :class:`EntityRuleError` if it is invalid)."""
        return cls(parse_entities(entities))

    @cached_property
    def first(self) -> EntitySpec:
        """The first entity: the one cross-cutting rendered tests exercise."""
        return self.specs[0]

    @cached_property
    def uniques(self) -> list[tuple[str, str, str, str]]:
        """Every unique-per-tenant constraint: (name, entity, field, ``table.column``)."""
        return [
            (name, spec.name, field.name, f"{spec.table}.{field.name}")
            for spec in self.specs
            for name, field in spec.uniques
        ]

    @cached_property
    def keyed(self) -> bool:
        """Whether some foreign key exists (a many-to-one or a many-to-many relation)."""
        return bool(self.graph.any or self.graph.links)

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

    def migration(self, entity: Mapping[str, object] | str, database: str) -> Migration:
        """The revision that creates ``entity``'s table, on ``database``."""
        if database not in self._chains:
            self._chains[database] = {
                item.entity.name: item for item in chain(self.specs, self.graph, database)
            }
        return self._chains[database][self.of(entity).name]
