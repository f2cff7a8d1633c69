"""The relations of all entities, seen from both ends."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from generator.entities.fields import FieldSpec, Many
from generator.entities.spec import EntitySpec


@dataclass(frozen=True, slots=True)
class Dependant:
    """A relation seen from its target: ``entity.field`` holds the target's id."""

    entity: EntitySpec
    field: FieldSpec

    @property
    def on_delete(self) -> str:
        """``restrict``, ``cascade`` or ``set_null``."""
        assert self.field.relation is not None  # noqa: S101 - only relations are dependants
        return self.field.relation.on_delete


class RelationGraph:
    """Every entity with its relations seen from both ends (``model.graph`` in templates).

    A per-entity template sees one entity; this gives it the others: a child's targets, a
    target's dependants, and which revision creates a target's key.
    """

    def __init__(self, specs: Sequence[EntitySpec]) -> None:
        """Index ``specs`` (validated, in declaration order)."""
        self.specs = tuple(specs)
        self._by_name = {spec.name: spec for spec in specs}
        self._dependants: dict[str, list[Dependant]] = {spec.name: [] for spec in specs}
        for spec in specs:
            for field in spec.relations:
                if field.relation is not None:
                    self._dependants[field.relation.target].append(Dependant(spec, field))

    def of(self, name: str) -> EntitySpec:
        """The entity called ``name``."""
        return self._by_name[name]

    @cached_property
    def any(self) -> bool:
        """Whether some entity has a relation."""
        return any(spec.relations for spec in self.specs)

    def dependants(self, name: str) -> list[Dependant]:
        """The relations pointing at ``name``, in declaration order."""
        return list(self._dependants[name])

    @cached_property
    def targets(self) -> list[EntitySpec]:
        """Entities some many-to-one relation points at, in declaration order."""
        return [spec for spec in self.specs if self.dependants(spec.name)]

    @cached_property
    def foreign_keys(self) -> bool:
        """Whether some table has a foreign key: a many-to-one or a many-to-many relation."""
        return bool(self.any or self.links)

    @cached_property
    def restricts(self) -> bool:
        """Whether some relation refuses its target's delete (``on_delete: restrict``)."""
        return any(d.on_delete == "restrict" for deps in self._dependants.values() for d in deps)

    @cached_property
    def links(self) -> list[Many]:
        """Every many-to-many relation, in declaration order."""
        return [item for spec in self.specs for item in spec.many]

    def linked_to(self, name: str) -> list[Many]:
        """The many-to-many relations whose target is ``name``, in declaration order."""
        return [item for item in self.links if item.target == name]

    @cached_property
    def _referrers(self) -> dict[str, list[str]]:
        referring: dict[str, list[str]] = {}
        for spec in self.specs:
            found = {d.entity.name for d in self.dependants(spec.name)}
            found |= {i.owner for i in self.links if spec.name in {i.owner, i.target}}
            referring[spec.name] = [other.name for other in self.specs if other.name in found]
        return referring

    def referrers(self, name: str) -> list[str]:
        """Entities whose foreign keys refer to ``name``'s ``(tenant_id, id)``, in order.

        A many-to-one child refers to its target; a many-to-many owner's association table
        refers to both the owner and the target.
        """
        return list(self._referrers[name])

    def keyed(self, name: str) -> bool:
        """Whether ``name``'s table needs the unique ``(tenant_id, id)`` index."""
        return bool(self.referrers(name))

    def indexes_created_by(self, name: str) -> list[EntitySpec]:
        """Entities whose ``(tenant_id, id)`` index the revision of ``name`` creates.

        The first entity, in declaration order, whose foreign keys refer to a table creates
        its index, so appending entities never changes an earlier revision.
        """
        return [
            spec
            for spec in self.specs
            if self.keyed(spec.name) and self.referrers(spec.name)[0] == name
        ]

    @cached_property
    def removable(self) -> list[EntitySpec]:
        """Entities whose rows a delete may visit: targets and the dependants cascaded to."""
        names = {spec.name for spec in self.targets}
        names |= {
            d.entity.name
            for target in self.targets
            for d in self.dependants(target.name)
            if d.on_delete == "cascade"
        }
        return [spec for spec in self.specs if spec.name in names]

    def ancestors(self, name: str) -> list[EntitySpec]:
        """Entities a row of ``name`` needs first, through required relations, oldest first."""
        needed: set[str] = set()
        frontier = [name]
        while frontier:
            for field in self.of(frontier.pop()).required_relations:
                assert field.relation is not None  # noqa: S101 - relations() selects them
                if field.relation.target not in needed:
                    needed.add(field.relation.target)
                    frontier.append(field.relation.target)
        return [spec for spec in self.specs if spec.name in needed]

    @cached_property
    def seeded(self) -> list[EntitySpec]:
        """Entities the rendered tests store a row of per tenant: parents, and relations' ends.

        Every many-to-one target, every entity a row needs first, and both ends of every
        many-to-many relation.
        """
        names = {spec.name for spec in self.parents + self.targets}
        names |= {end for item in self.links for end in (item.owner, item.target)}
        return [spec for spec in self.specs if spec.name in names]

    @cached_property
    def parents(self) -> list[EntitySpec]:
        """Every entity some row needs first: the rows the rendered tests create per tenant."""
        needed = {a.name for spec in self.specs for a in self.ancestors(spec.name)}
        return [spec for spec in self.specs if spec.name in needed]
