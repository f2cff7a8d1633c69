"""Alembic revision ids for the rendered migrations: derived from content, never random.

Each entity gets one revision that creates its table. The revisions chain in the order
the entities are declared, so appending an entity (``copier update -d entities=...``)
adds one revision on top of the previous head and leaves every earlier file as it was.
A revision id is a hash of what its migration creates and of the revision it follows:
the same answers give the same ids on every machine, at every time.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from generator.entities import EntitySpec, RelationGraph

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


def _content(
    entity: EntitySpec,
    database: str,
    down_revision: str | None,
    indexes: tuple[EntitySpec, ...] = (),
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
