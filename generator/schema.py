"""The schema history: every ``entities`` answer a service has had, and the changes between.

A service records its history in the ``schema_history`` answer: a list of snapshots of the
``entities`` answer, oldest first, the last one the current answer. The first snapshot's
entities are created by one revision each (:mod:`generator.migrations`); every later
snapshot adds one revision per change on top of the chain. The same history always gives
the same revisions, and a revision once rendered never changes: its id is a hash of the
change and of its parent.

A snapshot may say what the user meant where the difference alone cannot tell::

    fields:
      name: {type: str, renamed_from: title}   # the column is renamed, its data kept
      priority: {removed: true}                # the column is dropped, with its data
    workflow: {removed: true}                  # the state column is dropped
    workflow: {field: stage, renamed_from: status, ...}   # the state column is renamed

These markers exist only in the history: the ``entities`` answer is the last snapshot
without them (:func:`live`). ``blueprint update -d entities=...`` records a snapshot; a
change of ``entities`` that does not come with its snapshot is refused.
"""

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeGuard

from generator.changes import TEMPLATE_STEPS, Change, Step, TableChange, TemplateStep, renamed
from generator.entities import EntityRuleError, EntitySpec, FieldSpec, parse_entities

#: Keys that exist only in snapshots of the history.
MARKERS: Final = ("renamed_from", "removed")

#: What ``blueprint update`` records, for the messages that name the way to change entities.
HOW_TO_CHANGE = "blueprint update -d entities=..."


def _fields(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    fields = entity.get("fields")
    return fields if isinstance(fields, Mapping) else {}


def _removed(spec: object) -> bool:
    return isinstance(spec, Mapping) and spec.get("removed") is True


def live(answer: object) -> object:
    """The ``entities`` answer a snapshot stands for: removed fields gone, markers dropped.

    Anything that is not a list of mappings is returned as it is, for the entity rules to
    name what is wrong with it.
    """
    if not isinstance(answer, list):
        return answer
    entities: list[object] = []
    for entity in answer:
        if not isinstance(entity, Mapping):
            entities.append(entity)
            continue
        if entity.get("removed") is True:
            continue
        kept = {key: value for key, value in entity.items() if key not in MARKERS}
        workflow = entity.get("workflow")
        if _removed(workflow):
            del kept["workflow"]
        elif isinstance(workflow, Mapping):
            kept["workflow"] = {
                key: value for key, value in workflow.items() if key != "renamed_from"
            }
        if isinstance(entity.get("fields"), Mapping):
            kept["fields"] = {
                name: (
                    {key: value for key, value in spec.items() if key not in MARKERS}
                    if isinstance(spec, Mapping)
                    else spec
                )
                for name, spec in entity["fields"].items()
                if not _removed(spec)
            }
        entities.append(kept)
    return entities


def has_markers(answer: object) -> bool:
    """Whether an ``entities`` answer carries markers that belong in the history only."""
    if not isinstance(answer, list):
        return False
    for entity in answer:
        if isinstance(entity, Mapping) and (
            any(key in entity for key in MARKERS)
            or (
                isinstance(flow := entity.get("workflow"), Mapping)
                and any(k in flow for k in MARKERS)
            )
            or any(
                isinstance(spec, Mapping) and any(key in spec for key in MARKERS)
                for spec in _fields(entity).values()
            )
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One ``entities`` answer of the history, parsed, with what its markers say."""

    number: int
    specs: tuple[EntitySpec, ...]
    #: Entity name -> {new field name: old field name}.
    renamed: Mapping[str, Mapping[str, str]]
    #: Entity name -> the field names marked ``removed``.
    removed: Mapping[str, frozenset[str]]
    #: The entities marked ``removed``: their tables are dropped.
    dropped: frozenset[str] = frozenset()
    #: New entity name -> the old one (``renamed_from`` on an entity).
    moved: Mapping[str, str] = field(default_factory=dict)
    #: The entities whose workflow is marked ``removed``: its column is dropped.
    unflowed: frozenset[str] = frozenset()
    #: Entity name -> the old field of its workflow (``renamed_from`` in the workflow).
    reflowed: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, number: int, answer: object) -> "Snapshot":
        """Parse snapshot ``number`` of the history.

        Raises:
            EntityRuleError: The snapshot breaks an entity rule or misuses a marker.
        """
        where = f"schema_history snapshot {number}"
        try:
            specs = tuple(parse_entities(live(answer)))
        except EntityRuleError as error:
            raise EntityRuleError(f"{where}: {error}") from None
        renamed: dict[str, dict[str, str]] = {}
        removed: dict[str, frozenset[str]] = {}
        dropped: set[str] = set()
        moved: dict[str, str] = {}
        unflowed: set[str] = set()
        reflowed: dict[str, str] = {}
        for entity in answer if isinstance(answer, list) else []:
            name = str(entity.get("name"))
            _workflow_markers(f"{where}: entity {name!r}", entity, unflowed, reflowed)
            if "renamed_from" in entity:
                if not isinstance(entity["renamed_from"], str):
                    message = f"{where}: entity {name!r}: renamed_from must name the old entity"
                    raise EntityRuleError(message)
                moved[name] = entity["renamed_from"]
            if "removed" in entity:
                if entity["removed"] is not True:
                    message = f"{where}: entity {name!r}: removed must be true"
                    raise EntityRuleError(message)
                dropped.add(name)
                continue
            renamed[name] = {}
            gone = set()
            for field_name, spec in _fields(entity).items():
                if not isinstance(spec, Mapping):
                    continue
                if "removed" in spec and spec["removed"] is not True:
                    message = (
                        f"{where}: entity {name!r}, field {field_name!r}: removed must be true"
                    )
                    raise EntityRuleError(message)
                if spec.get("removed") is True:
                    gone.add(str(field_name))
                if "renamed_from" in spec:
                    source = spec["renamed_from"]
                    if not isinstance(source, str):
                        message = (
                            f"{where}: entity {name!r}, field {field_name!r}: renamed_from must "
                            "name the field's old name"
                        )
                        raise EntityRuleError(message)
                    renamed[name][str(field_name)] = source
            removed[name] = frozenset(gone)
        return cls(
            number,
            specs,
            renamed,
            removed,
            frozenset(dropped),
            moved,
            frozenset(unflowed),
            reflowed,
        )


def _workflow_markers(
    where: str, entity: Mapping[str, Any], unflowed: set[str], reflowed: dict[str, str]
) -> None:
    """Note what an entity's workflow markers say: removed, or its field renamed."""
    workflow = entity.get("workflow")
    if not isinstance(workflow, Mapping):
        return
    if "removed" in workflow:
        if workflow != {"removed": True}:
            message = f"{where}: a removed workflow is `workflow: {{removed: true}}`, alone"
            raise EntityRuleError(message)
        unflowed.add(str(entity.get("name")))
    if "renamed_from" in workflow:
        if not isinstance(workflow["renamed_from"], str):
            message = f"{where}: the workflow's renamed_from must name its old field"
            raise EntityRuleError(message)
        reflowed[str(entity.get("name"))] = workflow["renamed_from"]


def _stored(spec: FieldSpec) -> tuple[object, ...]:
    """What must differ for a field to need an ``alter`` revision."""
    return (spec.column_type, spec.nullable, spec.check, spec.unique, spec.relation, spec.values)


def _field_changes(before: EntitySpec, after: EntitySpec, snapshot: Snapshot) -> list[Change]:
    """The changes of one entity between two snapshots, in :data:`KINDS` order."""
    where = f"schema_history snapshot {snapshot.number}: entity {after.name!r}"
    flows = _workflow_changes(where, before, after, snapshot)
    old = {spec.name: spec for spec in before.fields}
    new = {spec.name: spec for spec in after.fields}
    removed = snapshot.removed.get(after.name, frozenset())
    if unknown := sorted(removed - set(old) - {item.name for item in before.many}):
        message = f"{where}: field {unknown[0]!r} is marked removed, but it is not a field"
        raise EntityRuleError(message)
    #: New column -> the old column it was renamed from.
    renamed = {
        _column(name, new): _column(source, old)
        for name, source in snapshot.renamed.get(after.name, {}).items()
    }
    for name, source in renamed.items():
        if source not in old or source in new or name in old:
            message = (
                f"{where}: field {name!r} is renamed_from {source!r}, which must be a field "
                "of the previous snapshot that this one no longer has"
            )
            raise EntityRuleError(message)
    for name in old:
        if name not in new and name not in removed and name not in renamed.values():
            message = (
                f"{where}: field {name!r} is gone. To drop its column and its data, declare "
                f"it as `{name}: {{removed: true}}`; to rename it, give the new field "
                f"`renamed_from: {name}`"
            )
            raise EntityRuleError(message)
    changes = [Change("remove", after, old[name], None, before) for name in old if name in removed]
    changes += flows["remove"]
    changes += [
        Change("rename", after, old[source], replace_name(old[source], name), before)
        for name, source in renamed.items()
    ]
    changes += flows["rename"]
    changes += [
        _added(where, spec, after, before)
        for name, spec in new.items()
        if name not in old and name not in renamed
    ]
    changes += flows["add"]
    for name, spec in new.items():
        was = old.get(renamed.get(name, name))
        if was is not None and (change := _altered(where, was, spec, after, before)):
            changes.append(change)
    return changes + flows["alter"]


def _workflow_changes(
    where: str, before: EntitySpec, after: EntitySpec, snapshot: Snapshot
) -> dict[str, list[Change]]:
    """The changes of an entity's workflow column, by kind.

    Added, its rows start in the initial state; removed only when said (``workflow:
    {removed: true}``); its field renamed only when said (``renamed_from``), the states
    kept; its states changed (the column is resized, rows in a removed state refused).
    """
    found: dict[str, list[Change]] = {kind: [] for kind in ("remove", "rename", "add", "alter")}
    old, new = workflow_column(before), workflow_column(after)
    dropped = after.name in snapshot.unflowed
    source = snapshot.reflowed.get(after.name)
    if dropped and old is None:
        message = f"{where}: its workflow is marked removed, but it has none"
        raise EntityRuleError(message)
    if old is not None and new is None:
        if not dropped:
            message = (
                f"{where}: its workflow is gone. To drop the {old.name!r} column and the "
                "state of every row, declare it as `workflow: {removed: true}`"
            )
            raise EntityRuleError(message)
        found["remove"].append(Change("remove", after, old, None, before))
        return found
    if new is None:
        return found
    assert after.workflow is not None  # noqa: S101 - a column comes from a workflow
    if old is None:
        if source is not None:
            message = f"{where}: its workflow is new, so there is no field to rename it from"
            raise EntityRuleError(message)
        # The rows that exist start where every new row does.
        start = replace(new, default=after.workflow.initial, has_default=True)
        found["add"].append(Change("add", after, None, start, before))
        return found
    if old.name != new.name:
        if source != old.name:
            message = (
                f"{where}: its workflow's field changed from {old.name!r} to {new.name!r}. "
                f"To rename the column (the states kept), add `renamed_from: {old.name}` to "
                "the workflow"
            )
            raise EntityRuleError(message)
        found["rename"].append(Change("rename", after, old, replace_name(old, new.name), before))
        old = replace_name(old, new.name)
        # What the database holds after the rename, for a change of the states after it.
        assert before.workflow is not None  # noqa: S101 - it had the old column
        before = replace(before, workflow=replace(before.workflow, field=new.name))
    elif source is not None:
        message = (
            f"{where}: its workflow is renamed_from {source!r}, which must be its field in "
            "the previous snapshot"
        )
        raise EntityRuleError(message)
    if old != new:
        found["alter"].append(Change("alter", after, old, new, before))
    return found


def workflow_column(entity: EntitySpec) -> FieldSpec | None:
    """The column holding an entity's workflow state, as a field: sized, with its states."""
    if entity.workflow is None:
        return None
    states = entity.workflow.states
    return FieldSpec(entity.workflow.field, "str", False, max(map(len, states)), values=states)


def _added(where: str, spec: FieldSpec, entity: EntitySpec, previous: EntitySpec) -> Change:
    if not spec.nullable and not spec.has_default:
        fix = (
            "make the relation optional (belongs_to: 'Target?')"
            if spec.relation
            else "give it a default, or make it nullable ('?')"
        )
        message = (
            f"{where}: new field {spec.name!r} is required and has no default, so the rows "
            f"that exist cannot be filled; {fix}"
        )
        raise EntityRuleError(message)
    return Change("add", entity, None, spec, previous)


def _altered(
    where: str, source: FieldSpec, spec: FieldSpec, entity: EntitySpec, previous: EntitySpec
) -> Change | None:
    name = spec.name
    if source.type != spec.type:
        message = (
            f"{where}: field {name!r} changes type from {source.type} to {spec.type}; "
            "that is not a change the history makes: add a new field and remove the old one"
        )
        raise EntityRuleError(message)
    if source.relation and spec.relation and source.relation.target != spec.relation.target:
        message = f"{where}: relation {name!r} cannot change its target entity"
        raise EntityRuleError(message)
    moved = replace_name(source, name)
    if _stored(moved) == _stored(spec):
        return None
    if source.nullable and not spec.nullable and not spec.has_default:
        message = (
            f"{where}: field {name!r} becomes required; give it a default, which fills "
            "the rows that hold none"
        )
        raise EntityRuleError(message)
    return Change("alter", entity, moved, spec, previous)


def _column(name: str, fields: Mapping[str, FieldSpec]) -> str:
    """A relation's column (``project_id``) from its declared name (``project``)."""
    return name if name in fields else f"{name}_id" if f"{name}_id" in fields else name


def replace_name(spec: FieldSpec, name: str) -> FieldSpec:
    """``spec`` under another name (its check expression names the column)."""
    return replace(spec, name=name)


@dataclass(slots=True)
class History:
    """The snapshots of one service, and every change between consecutive ones."""

    snapshots: list[Snapshot]
    #: (snapshot number, change) in the order the revisions chain, after the first snapshot.
    steps: list[tuple[int, Step]] = field(default_factory=list)

    @classmethod
    def parse(cls, history: Sequence[object]) -> "History":
        """Parse every snapshot and compute the changes between them.

        In one snapshot: new entities first (a change may refer to them), then per entity
        its field changes and its many-to-many changes, then the removed entities.

        Raises:
            EntityRuleError: A snapshot breaks a rule, or a change cannot be made.
        """
        found = cls([])
        for number, entry in enumerate(history):
            if is_template_step(entry):
                found.steps.append((number, _template_step(number, entry, found)))
                continue
            snapshot = Snapshot.parse(number, entry)
            if found.snapshots:
                found.steps += [(number, step) for step in _steps(found.snapshots[-1], snapshot)]
            found.snapshots.append(snapshot)
        if not found.snapshots:
            message = "schema_history: it holds no entities answer"
            raise EntityRuleError(message)
        return found

    @classmethod
    def first(cls, specs: Sequence[EntitySpec]) -> "History":
        """The history of a first render: ``specs``, then every template step there is."""
        steps = [(number, TemplateStep(name)) for number, name in enumerate(TEMPLATE_STEPS, 1)]
        return cls([Snapshot(0, tuple(specs), {}, {})], list(steps))

    def snapshot(self, number: int) -> Snapshot:
        """The snapshot that is entry ``number`` of the history."""
        return next(snapshot for snapshot in self.snapshots if snapshot.number == number)

    @property
    def template_steps(self) -> list[str]:
        """The template steps the history records, in order."""
        return [step.name for _, step in self.steps if isinstance(step, TemplateStep)]


def is_template_step(entry: object) -> TypeGuard[Mapping[str, object]]:
    """Whether a history entry is a ``{template: name}`` marker, not a snapshot."""
    return isinstance(entry, Mapping) and "template" in entry


def _template_step(number: int, entry: Mapping[str, object], found: History) -> TemplateStep:
    where = f"schema_history entry {number}"
    name = entry.get("template")
    if set(entry) != {"template"} or not isinstance(name, str) or name not in TEMPLATE_STEPS:
        known = ", ".join(TEMPLATE_STEPS)
        message = f"{where}: expected {{template: NAME}}, NAME one of {known}; got {dict(entry)!r}"
        raise EntityRuleError(message)
    if not found.snapshots:
        message = f"{where}: a template step follows an entities answer, never the first entry"
        raise EntityRuleError(message)
    if name in found.template_steps:
        message = f"{where}: template step {name!r} is recorded twice"
        raise EntityRuleError(message)
    return TemplateStep(name)


def last_snapshot(history: Sequence[object]) -> object:
    """The newest ``entities`` answer of a recorded history (template steps skipped)."""
    return next((entry for entry in reversed(history) if not is_template_step(entry)), None)


def template_markers(history: Sequence[object], release: str | None = None) -> list[object]:
    """The ``{template: name}`` entries a history lacks, up to ``release`` (all if ``None``)."""
    recorded = {entry["template"] for entry in history if is_template_step(entry)}
    return [
        {"template": name}
        for name, (since, _) in TEMPLATE_STEPS.items()
        if name not in recorded and (release is None or _release(since) <= _release(release))
    ]


def _release(version: str) -> tuple[int, ...]:
    """``0.8.0`` (or ``v0.8.0``, ``0.8.0.dev1``) as numbers to compare: (0, 8, 0)."""
    numbers = []
    for part in version.removeprefix("v").split(".")[:3]:
        digits = "".join(itertools.takewhile(str.isdigit, part))
        numbers.append(int(digits or 0))
    return tuple(numbers)


def _steps(before: Snapshot, after: Snapshot) -> list[Step]:
    old = {spec.name: spec for spec in before.specs}
    new = {spec.name: spec for spec in after.specs}
    steps: list[Step] = []
    for name, source in after.moved.items():
        where = f"schema_history snapshot {after.number}: entity {name!r}"
        if source not in old or source in new or name in old:
            message = (
                f"{where} is renamed_from {source!r}, which must be an entity of the previous "
                "snapshot that this one no longer has"
            )
            raise EntityRuleError(message)
        moved = renamed(old, source, name)
        steps.append(TableChange("rename", old[source], to=moved[name]))
        old = moved
    steps += [spec for spec in after.specs if spec.name not in old]
    for spec in after.specs:
        if spec.name in old:
            steps += _field_changes(old[spec.name], spec, after)
            links = {item.name: item for item in old[spec.name].many}
            kept = {item.name: item for item in spec.many}
            for name, item in links.items():
                if name in kept:
                    continue
                if name not in after.removed.get(spec.name, frozenset()):
                    message = (
                        f"schema_history snapshot {after.number}: entity {spec.name!r}: "
                        f"relation {name!r} is gone. To drop its association table and its "
                        f"links, declare it as `{name}: {{removed: true}}`"
                    )
                    raise EntityRuleError(message)
                steps.append(TableChange("unlink", spec, item))
            steps += [TableChange("link", spec, item) for n, item in kept.items() if n not in links]
    for name, spec in old.items():
        if name in new:
            continue
        if name not in after.dropped:
            message = (
                f"schema_history snapshot {after.number}: entity {name!r} is gone. To drop "
                f"its table and its data, declare it as `- {{name: {name}, removed: true}}`"
            )
            raise EntityRuleError(message)
        steps.append(TableChange("drop", spec))
    return steps


def history_error(entities: object, history: object) -> str:
    """Why ``history`` cannot be the ``schema_history`` of ``entities``, or ``""``.

    The last snapshot, without its markers, must be the ``entities`` answer: otherwise the
    migrations would not know how the data model got there.
    """
    if not isinstance(history, list) or not history:
        return "schema_history: must be a non-empty list of entities answers, oldest first"
    try:
        History.parse(history)
    except EntityRuleError as error:
        return str(error)
    if live(last_snapshot(history)) != entities:
        return (
            "entities: the answer is not the last snapshot of schema_history, so the "
            "migrations cannot tell how the data model changed. Change entities with "
            f"`{HOW_TO_CHANGE}`, which records the change; `copier update -d entities=...` "
            "cannot. Nothing was written"
        )
    return ""


def record(
    history: object, entities: object, new: object, release: str | None = None
) -> list[object]:
    """The history after ``blueprint update -d entities=NEW``: ``new`` appended.

    Args:
        history: The recorded ``schema_history``, or ``None`` for a service rendered
            before it existed (its current ``entities`` are then the first snapshot).
        entities: The recorded ``entities`` answer.
        new: The new answer, markers allowed.
        release: The release the update goes to: the template steps up to it that the
            history lacks come first (the service takes the release, then the change),
            as the release's answer migration would record them.

    Returns:
        The history to record; without new snapshot when ``new`` says nothing new (an
        update that changes nothing creates nothing).
    """
    entries = list(history) if isinstance(history, list) and history else [entities]
    entries += template_markers(entries, release)
    if _same_model(new, last_snapshot(entries)):
        # The same data model: markers left in it (the same command run again) say nothing.
        return entries
    return [*entries, new]


def _same_model(one: object, other: object) -> bool:
    """Whether two answers declare the same entities (``str?`` and ``{type: str?}`` alike)."""
    try:
        return parse_entities(live(one)) == parse_entities(live(other))
    except EntityRuleError:
        return live(one) == live(other)
