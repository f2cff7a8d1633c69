"""Alembic revision ids for the rendered migrations: derived from content, never random.

Each entity of the schema history's first snapshot gets one revision that creates its
table; they chain in the order the entities are declared. Every later change (a field
added, renamed, changed or removed; an entity added) is one more revision on top
(:mod:`generator.schema`), so a rendered revision never changes. A revision id is a hash
of what its migration does and of the revision it follows: the same history gives the
same ids on every machine, at every time.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeAlias

from generator.changes import Change, TableChange, TemplateChange, TemplateStep, renamed
from generator.entities import EntitySpec, RelationGraph

if TYPE_CHECKING:
    from generator.schema import History

#: Length of a revision id: as long as Alembic's own random ones.
REVISION_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Migration:
    """One rendered revision: the table it creates and its place in the chain."""

    entity: EntitySpec
    revision: str
    down_revision: str | None
    #: Targets whose ``(tenant_id, id)`` index this revision creates, for foreign keys.
    indexes: tuple[EntitySpec, ...] = ()
    #: The entities as they were when this revision was made (its relations' targets).
    graph: RelationGraph | None = field(default=None, compare=False)
    #: The table has the ``version`` column from the start (created after ``row_versions``).
    versioned: bool = False


def _content(
    entity: EntitySpec,
    database: str,
    down_revision: str | None,
    indexes: tuple[EntitySpec, ...] = (),
    *,
    versioned: bool = False,
) -> bytes:
    fields = [[f.name, f.type, f.nullable, f.max_length] for f in entity.fields]
    workflow = None
    if entity.workflow is not None:
        workflow = [entity.workflow.field, max(map(len, entity.workflow.states))]
    content: dict[str, object] = {
        "table": entity.table,
        "fields": fields,
        "workflow": workflow,
        "database": database,
        "down_revision": down_revision,
    }
    # Present only when declared, so that entities without these constraints keep their ids.
    if entity.checks:
        content["checks"] = entity.checks
    if entity.uniques:
        content["uniques"] = [name for name, _ in entity.uniques]
    if entity.relations:
        content["relations"] = [
            [f.name, f.relation.target, f.relation.on_delete]
            for f in entity.relations
            if f.relation
        ]
    if entity.many:
        content["many"] = [[item.table, item.target] for item in entity.many]
    if indexes:
        content["indexes"] = [target.table for target in indexes]
    if versioned:
        content["versioned"] = True
    return json.dumps(content, sort_keys=True).encode()


def chain(specs: Sequence[EntitySpec], graph: RelationGraph, database: str) -> list[Migration]:
    """Return the chain of revisions for ``specs``, oldest first.

    Args:
        specs: The parsed entities, in declaration order.
        graph: Their relations (which revision creates which ``(tenant_id, id)`` index).
        database: The ``database`` answer; PostgreSQL revisions also enable row-level security.
    """
    revisions: list[Migration] = []
    down_revision: str | None = None
    for entity in specs:
        indexes = tuple(graph.indexes_created_by(entity.name))
        digest = hashlib.sha256(_content(entity, database, down_revision, indexes)).hexdigest()
        revision = digest[:REVISION_LENGTH]
        revisions.append(Migration(entity, revision, down_revision, indexes))
        down_revision = revision
    return revisions


def _keyed(state: dict[str, EntitySpec]) -> set[str]:
    """The tables that hold a ``(tenant_id, id)`` index, for the schema ``state``."""
    graph = RelationGraph(list(state.values()))
    return {name for name in state if graph.keyed(name)}


def _apply(entity: EntitySpec, change: Change) -> EntitySpec:
    """``entity`` as the database holds it after ``change``."""
    fields = list(entity.fields)
    names = [spec.name for spec in fields]
    if _moves_workflow(change):
        return replace(entity, workflow=change.entity.workflow)
    if change.before is not None and change.kind != "alter":
        index = names.index(change.before.name)
        if change.after is None:
            del fields[index]
        else:
            fields[index] = change.after
    elif change.before is not None and change.after is not None:
        fields[names.index(change.before.name)] = change.after
    else:
        assert change.after is not None  # noqa: S101 - an addition has its field
        fields.append(change.after)
    return replace(entity, fields=tuple(fields))


def _moves_workflow(change: Change) -> bool:
    """Whether ``change`` is of a workflow's column (never a field: the rules refuse that)."""
    was, now = change.previous.workflow, change.entity.workflow
    return (change.before is not None and was is not None and change.before.name == was.field) or (
        change.after is not None and now is not None and change.after.name == now.field
    )


Chain: TypeAlias = tuple[list[Migration], list[Change], list[TableChange], list[TemplateChange]]


def history_chain(history: "History", database: str) -> Chain:
    """Every revision of a schema history on ``database``, oldest first.

    Returns:
        The revisions that create a table (the first snapshot's, then each entity added
        later, in the order they were added), those that change a column, those that
        drop a table or add or drop an association table, and the template's steps.
    """
    first = list(history.snapshots[0].specs)
    graph = RelationGraph(first)
    creations = [replace(item, graph=graph) for item in chain(first, graph, database)]
    head = creations[-1].revision if creations else None
    state = {spec.name: spec for spec in first}
    changes: list[Change] = []
    tables: list[TableChange] = []
    steps: list[TemplateChange] = []
    versioned = False
    for number, step in history.steps:
        before = _keyed(state)
        if isinstance(step, TemplateStep):
            place = len(changes) + len(tables) + len(steps) + 1
            steps.append(_template_change(step, place, number, head, state, database))
            head = steps[-1].revision
            versioned = versioned or step.name == "row_versions"
            continue
        if isinstance(step, EntitySpec):
            state[step.name] = step
            graph = RelationGraph(list(history.snapshot(number).specs))
            created = _keyed(state) - before
            creations.append(_creation(step, graph, created, head, database, versioned=versioned))
            head = creations[-1].revision
            continue
        previous = dict(state)
        current: Change | TableChange = step
        if isinstance(step, TableChange):
            current, state, before = _table_step(step, state, before)
        else:
            state[step.entity.name] = _apply(state[step.entity.name], step)
        after = _keyed(state)
        made = replace(
            current,
            number=len(changes) + len(tables) + len(steps) + 1,
            down_revision=head,
            key_indexes=tuple(state[name] for name in state if name in after - before),
            dropped_key_indexes=tuple(
                previous[name] for name in previous if name in before - after
            ),
            snapshot=number,
        )
        if isinstance(made, TableChange):
            made = replace(made, versioned=versioned)
            shape = _content(made.entity, database, None, versioned=versioned)
            made = replace(made, revision=_digest(made.content(database, shape)))
            tables.append(made)
        else:
            made = replace(made, revision=_digest(made.content(database)))
            changes.append(made)
        head = made.revision
    return creations, changes, tables, steps


def _table_step(
    step: TableChange, state: dict[str, EntitySpec], before: set[str]
) -> tuple[TableChange, dict[str, EntitySpec], set[str]]:
    """A table change as the chain places it, the schema after it, and the keyed tables."""
    previous = dict(state)
    if step.to is not None:
        # The key index moves with the table (the revision renames it): not new.
        keyed = step.entity.name in before
        state = renamed(state, step.entity.name, step.to.name)
        before = {step.to.name if name == step.entity.name else name for name in before}
        graph = RelationGraph(list(previous.values()))
        moved = replace(step, entity=previous[step.entity.name], keyed=keyed, graph=graph)
        return moved, state, before
    entity = state[step.entity.name]
    links = tuple(item for item in entity.many if item != step.link)
    if step.kind == "drop":
        del state[entity.name]
    else:
        added = (step.link,) if step.kind == "link" and step.link else ()
        state[entity.name] = replace(entity, many=links + added)
    graph = RelationGraph(list(previous.values()))
    return replace(step, entity=entity, graph=graph), state, before


def _creation(
    entity: EntitySpec,
    graph: RelationGraph,
    created: set[str],
    head: str | None,
    database: str,
    *,
    versioned: bool,
) -> Migration:
    """The revision creating an entity added later: on top of ``head``, with the keys it needs."""
    indexes = tuple(spec for spec in graph.specs if spec.name in created)
    content = _content(entity, database, head, indexes, versioned=versioned)
    return Migration(entity, _digest(content), head, indexes, graph=graph, versioned=versioned)


def _template_change(
    step: TemplateStep,
    place: int,
    number: int,
    head: str | None,
    state: dict[str, EntitySpec],
    database: str,
) -> TemplateChange:
    """The revision of a template step: every table of ``state``, on top of ``head``."""
    made = TemplateChange(
        number=place,
        down_revision=head,
        snapshot=number,
        name=step.name,
        tables=tuple(state.values()),
    )
    return replace(made, revision=_digest(made.content(database)))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:REVISION_LENGTH]
