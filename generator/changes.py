"""The changes of a schema history, each one revision on top of the chain.

:class:`Change` moves one column (added, removed, renamed or altered); :class:`TableChange`
drops an entity's table, or adds or drops a many-to-many relation's association table.
Their revision ids hash what they do and their parent (``content``), so the same history
gives the same files. :mod:`generator.schema` finds them; :mod:`generator.migrations`
chains them.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from generator.entities import EntitySpec, FieldSpec, Many, RelationGraph

#: The kinds of change, in the order one snapshot's changes of one entity are applied.
KINDS: Final = ("remove", "rename", "add", "alter")


@dataclass(frozen=True, slots=True, kw_only=True)
class Placed:
    """Where a change sits in the chain (set when the chain is built)."""

    #: Its place among the history's changes, from 1 (the module name's number).
    number: int = 0
    revision: str = ""
    down_revision: str | None = None
    #: Target entities whose ``(tenant_id, id)`` index this revision creates or drops.
    key_indexes: tuple[EntitySpec, ...] = ()
    dropped_key_indexes: tuple[EntitySpec, ...] = ()
    #: The snapshot that asked for it.
    snapshot: int = 0

    def _placed(self, database: str) -> dict[str, object]:
        return {
            "key_indexes": [spec.table for spec in self.key_indexes],
            "dropped_key_indexes": [spec.table for spec in self.dropped_key_indexes],
            "database": database,
            "down_revision": self.down_revision,
        }


@dataclass(frozen=True, slots=True)
class Change(Placed):
    """One change of one field: the revision that makes it, on top of the chain."""

    kind: str
    entity: EntitySpec
    before: FieldSpec | None
    after: FieldSpec | None
    #: The entity as the database holds it before the change (its table's names).
    previous: EntitySpec

    @property
    def field(self) -> FieldSpec:
        """The field after the change (before it, for a removal)."""
        found = self.after or self.before
        assert found is not None  # noqa: S101 - a change has one side at least
        return found

    @property
    def module(self) -> str:
        """The revision's module name: ``change_003_task_add_priority``."""
        return f"change_{self.number:03d}_{self.entity.module}_{self.kind}_{self.field.name}"

    @property
    def summary(self) -> str:
        """What the change does, in one line (the revision's docstring)."""
        table, name = self.entity.table, self.field.name
        if self.kind == "add":
            return f"Add the ``{name}`` column to ``{table}``."
        if self.kind == "remove":
            return f"Drop the ``{name}`` column of ``{table}``, and its data."
        if self.kind == "rename":
            assert self.before is not None  # noqa: S101 - a rename has both sides
            return f"Rename the ``{self.before.name}`` column of ``{table}`` to ``{name}``."
        return f"Change the ``{name}`` column of ``{table}``: {', '.join(self.differences)}."

    @property
    def differences(self) -> list[str]:
        """What changes in the column (an ``alter``): type, nullability, constraints."""
        before, after = self.before, self.after
        if before is None or after is None:
            return []
        found = []
        if before.column_type != after.column_type:
            found.append(f"{before.column_type} to {after.column_type}")
        if before.nullable != after.nullable:
            found.append("now nullable" if after.nullable else "now required")
        if before.check != after.check:
            found.append("its check")
        if before.unique != after.unique:
            found.append("now unique per tenant" if after.unique else "no longer unique")
        if before.relation != after.relation:
            found.append("its foreign key")
        if before.type == "str" and before.values != after.values:
            found.append("its states")
        return found

    def content(self, database: str) -> bytes:
        """What the revision id is a hash of: the change, the database and the parent."""
        return json.dumps(
            {
                "kind": self.kind,
                "table": self.entity.table,
                "before": _shape(self.previous, self.before),
                "after": _shape(self.entity, self.after),
                **self._placed(database),
            },
            sort_keys=True,
        ).encode()


def _shape(entity: EntitySpec, spec: FieldSpec | None) -> object:
    """Everything of a field that the database holds."""
    if spec is None:
        return None
    return {
        "name": spec.name,
        "type": spec.column_type,
        "nullable": spec.nullable,
        "check": spec.check,
        "unique": spec.unique,
        "relation": None
        if spec.relation is None
        else [entity.foreign_key(spec), spec.relation.target, spec.relation.on_delete],
        "default": json.dumps(spec.default, default=str) if spec.has_default else None,
        "values": list(spec.values),
    }


@dataclass(frozen=True, slots=True)
class TableChange(Placed):
    """A table dropped (an entity removed) or an association table added or dropped."""

    #: ``drop`` (the entity's table), ``link`` or ``unlink`` (a many-to-many relation).
    kind: str
    #: The entity as the database holds it before the change.
    entity: EntitySpec
    link: Many | None = None
    #: A renamed entity: as the database holds it after the rename.
    to: EntitySpec | None = None
    #: A renamed entity's table holds the ``(tenant_id, id)`` key other tables refer to.
    keyed: bool = False
    #: The entities as the database holds them before the change (targets' tables).
    graph: RelationGraph | None = field(default=None, compare=False)
    #: The table has the ``version`` column (``row_versions`` ran before this change).
    versioned: bool = False

    @property
    def module(self) -> str:
        """The revision's module name: ``change_007_task_link_tags``."""
        name = f"change_{self.number:03d}_{self.entity.module}_{self.kind}"
        if self.to is not None:
            return f"{name}_{self.to.module}"
        return f"{name}_{self.link.name}" if self.link else name

    @property
    def summary(self) -> str:
        """What the change does, in one line."""
        if self.to is not None:
            tables = " and its association tables" if self.entity.many else ""
            return (
                f"Rename the ``{self.entity.table}`` table{tables} to ``{self.to.table}``, "
                "data kept."
            )
        if self.link is None:
            tables = " and its association tables" if self.entity.many else ""
            return f"Drop the ``{self.entity.table}`` table{tables}, and their rows."
        if self.kind == "link":
            relation = f"{self.entity.name}.{self.link.name}"
            return f"Create the ``{self.link.table}`` association table ({relation})."
        return f"Drop the ``{self.link.table}`` association table, and its links."

    @property
    def moved_links(self) -> list[tuple[Many, Many, EntitySpec, EntitySpec]]:
        """A renamed entity's association tables, which are named after it.

        Each relation before and after the rename, with its target before and after (a
        relation to itself follows the rename).
        """
        if self.to is None or self.graph is None:
            return []
        found = []
        for old, new in zip(self.entity.many, self.to.many, strict=True):
            before = self.graph.of(old.target)
            after = self.to if old.target == self.entity.name else before
            found.append((old, new, before, after))
        return found

    def content(self, database: str, table: bytes) -> bytes:
        """What the revision id hashes: the change, the table's shape, the parent."""
        return json.dumps(
            {
                "kind": self.kind,
                "table": table.decode(),
                "link": None if self.link is None else [self.link.table, self.link.target],
                "to": None if self.to is None else self.to.table,
                "keyed": self.keyed,
                **self._placed(database),
            },
            sort_keys=True,
        ).encode()


#: The template's own schema changes, oldest first: name -> (the release that brings it,
#: what its revision does in one line).
#: A service records each one in its ``schema_history`` as ``{template: name}``, where it
#: took the release (an answer migration), so the revision follows the changes before it.
TEMPLATE_STEPS: Final = {
    "row_versions": (
        "0.8.0",
        "Give every row a version, which each change bumps (optimistic concurrency).",
    ),
    "idempotency_keys": (
        "0.8.0",
        "Create the table of idempotency keys: a retried create finds its row.",
    ),
}


@dataclass(frozen=True, slots=True)
class TemplateStep:
    """A ``{template: name}`` entry of the history: a schema change of the template's own."""

    name: str


@dataclass(frozen=True, slots=True)
class TemplateChange(Placed):
    """A template step's revision: the same change to every entity table there is."""

    name: str
    #: Every entity as the database holds it when the step runs, in the chain's order.
    tables: tuple[EntitySpec, ...] = ()

    @property
    def module(self) -> str:
        """The revision's module name: ``change_004_template_row_versions``."""
        return f"change_{self.number:03d}_template_{self.name}"

    @property
    def summary(self) -> str:
        """What the step does, in one line."""
        return TEMPLATE_STEPS[self.name][1]

    def content(self, database: str) -> bytes:
        """What the revision id hashes: the step, the tables it changes, the parent."""
        return json.dumps(
            {
                "template": self.name,
                "tables": [spec.table for spec in self.tables],
                **self._placed(database),
            },
            sort_keys=True,
        ).encode()


#: One step of a history: an entity created, a column or a table changed, a template step.
Step = EntitySpec | Change | TableChange | TemplateStep


def renamed(specs: Mapping[str, EntitySpec], old: str, new: str) -> dict[str, EntitySpec]:
    """``specs`` after entity ``old`` became ``new``: the relations to it follow it."""

    def target(name: str) -> str:
        return new if name == old else name

    found: dict[str, EntitySpec] = {}
    for name, spec in specs.items():
        fields = tuple(
            replace(f, relation=replace(f.relation, target=target(f.relation.target)))
            if f.relation
            else f
            for f in spec.fields
        )
        many = tuple(
            replace(item, target=target(item.target), owner=target(item.owner))
            for item in spec.many
        )
        found[target(name)] = replace(spec, name=target(name), fields=fields, many=many)
    return found
