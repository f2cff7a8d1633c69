"""The schema history's rules: what each change becomes, and what is refused before a render."""

import re
from typing import Any

import pytest

from generator.answers import answer_error, check_answers
from generator.changes import Change, TableChange
from generator.entities import EntityRuleError
from generator.model import Model
from generator.schema import History, history_error, live, record

TASK: dict[str, Any] = {"name": "Task", "fields": {"title": "str", "due": "date?"}}
#: The template steps of 0.8.0, as a history records them.
STEP: dict[str, Any] = {"template": "row_versions"}
KEYS: dict[str, Any] = {"template": "idempotency_keys"}


def task(**fields: object) -> dict[str, Any]:
    return {"name": "Task", "fields": {**TASK["fields"], **fields}}


def kinds(*snapshots: list[dict[str, Any]]) -> list[tuple[str, str]]:
    history = History.parse(list(snapshots))
    return [(step.kind, step.field.name) for _, step in history.steps if isinstance(step, Change)]


def test_each_change_is_one_step_in_a_fixed_order() -> None:
    changed = {
        "name": "Task",
        "fields": {
            "heading": {"type": "str", "renamed_from": "title", "max_length": 80},
            "due": {"removed": True},
            "points": {"type": "int", "default": 0},
        },
    }

    assert kinds([TASK], [changed]) == [
        ("remove", "due"),
        ("rename", "heading"),
        ("add", "points"),
        ("alter", "heading"),
    ]


@pytest.mark.parametrize(
    ("new", "rule"),
    [
        ({"name": "Task", "fields": {"title": "str"}}, "field 'due' is gone"),
        (task(points="int"), "required and has no default"),
        ({"name": "Task", "fields": {"title": "int", "due": "date?"}}, "changes type"),
        (task(due="date"), "becomes required; give it a default"),
        (task(ghost={"removed": True}), "'ghost' is marked removed, but it is not a field"),
        (task(name={"type": "str", "renamed_from": "nothing"}), "renamed_from 'nothing'"),
    ],
)
def test_changes_that_would_lose_or_invent_data_are_refused(new: dict[str, Any], rule: str) -> None:
    with pytest.raises(EntityRuleError, match=rule):
        History.parse([[TASK], [new]])


def test_a_new_required_relation_is_refused() -> None:
    project = {"name": "Project", "fields": {"code": "str"}}
    new = {"name": "Task", "fields": {**TASK["fields"], "project": {"belongs_to": "Project"}}}

    with pytest.raises(EntityRuleError, match="make the relation optional"):
        History.parse([[project, TASK], [project, new]])


def test_revisions_of_earlier_snapshots_never_change() -> None:
    first: list[object] = [[TASK], [task(points="int?")]]
    longer = [*first, [task(points="int?", notes="text?")]]

    before = Model.from_answer(live(first[-1]), first).revisions("postgresql")
    after = Model.from_answer(live(longer[-1]), longer).revisions("postgresql")

    assert [item.revision for item in after[: len(before)]] == [i.revision for i in before]
    assert len(after) == len(before) + 1


def test_an_update_that_changes_nothing_records_nothing() -> None:
    assert record([[TASK], STEP, KEYS], [TASK], [TASK]) == [[TASK], STEP, KEYS]
    renamed = [task(due={"type": "date?", "renamed_from": "due"})]
    assert record([[TASK], STEP, KEYS], [TASK], renamed) == [[TASK], STEP, KEYS]  # no change
    notes = [task(notes="text?")]
    assert record([[TASK], STEP, KEYS], [TASK], notes) == [[TASK], STEP, KEYS, notes]


def test_an_update_records_the_template_steps_of_its_release_before_the_change() -> None:
    notes = [task(notes="text?")]

    # A service from before the history, updated to the release that brings the step.
    assert record(None, [TASK], notes, "v0.8.0") == [[TASK], STEP, KEYS, notes]
    # ... to an older release: no step (that release knows none).
    assert record(None, [TASK], notes, "v0.7.0") == [[TASK], notes]
    assert record(None, [TASK], [TASK], "0.8.0.dev1") == [[TASK], STEP, KEYS]
    # A history with one step of the release gets the other one.
    assert record([[TASK], STEP], [TASK], [TASK], "v0.8.0") == [[TASK], STEP, KEYS]


def test_a_template_step_is_one_revision_where_the_history_places_it() -> None:
    notes = [task(notes="text?")]
    model = Model.from_answer(notes, [[TASK], STEP, notes])

    revisions = model.revisions("sqlite")

    assert [type(item).__name__ for item in revisions] == ["Migration", "TemplateChange", "Change"]
    step = model.template_changes("sqlite")[0]
    assert step.module == "change_001_template_row_versions"
    assert [spec.table for spec in step.tables] == ["tasks"]
    # An entity created after the step has the column from the start; one before, not.
    later = [task(), {"name": "Tag", "fields": {"label": "str"}}]
    creations = Model.from_answer(later, [[TASK], STEP, later]).creations("sqlite")
    assert [(m.entity.name, m.versioned) for m in creations] == [("Task", False), ("Tag", True)]
    # A first render is the same chain: its first snapshot, then every step.
    first = Model.from_answer([TASK], [[TASK], STEP, KEYS]).revisions("sqlite")
    assert [item.revision for item in Model.from_answer([TASK]).revisions("sqlite")] == [
        item.revision for item in first
    ]


@pytest.mark.parametrize(
    ("history", "rule"),
    [
        ([STEP, [TASK]], "follows an entities answer"),
        ([[TASK], STEP, STEP], "recorded twice"),
        ([[TASK], {"template": "no_such_step"}], "NAME one of row_versions, idempotency_keys"),
        ([[TASK], {"template": "row_versions", "extra": 1}], "expected {template: NAME}"),
    ],
)
def test_a_bad_template_step_is_refused_naming_the_entry(history: list[Any], rule: str) -> None:
    with pytest.raises(EntityRuleError, match=re.escape(rule)):
        History.parse(history)


def test_plain_copier_update_of_entities_is_refused_naming_the_command() -> None:
    message = history_error([task(notes="text?")], [[TASK]])

    assert message.startswith("entities: ")
    assert "blueprint update -d entities=" in message


def test_markers_belong_in_the_history_not_in_entities() -> None:
    problems = check_answers({"entities": [task(due={"removed": True})]})

    assert problems
    assert "schema_history" in problems[0]


def test_copier_checks_only_the_answer_it_will_render() -> None:
    old, new = [TASK], [task(notes="text?")]
    history = [old, new]

    # The recorded answer, checked against the history given with it, is being replaced.
    assert answer_error(old, "entities", schema_history=history, given=new) == ""
    assert answer_error(new, "entities", schema_history=history, given=new) == ""
    # Given alone (plain `copier update -d entities=...`), the new answer is refused.
    refused = answer_error(new, "entities", schema_history=[old], given=new)
    assert "blueprint update -d entities=" in refused


def test_tables_are_dropped_and_links_removed_only_when_said() -> None:
    tag = {"name": "Tag", "fields": {"label": "str"}}
    linked = task(tags={"many": "Tag"})

    with pytest.raises(
        EntityRuleError, match=re.escape("declare it as `- {name: Tag, removed: true}`")
    ):
        History.parse([[tag, TASK], [TASK]])
    with pytest.raises(EntityRuleError, match="relation 'tags' is gone"):
        History.parse([[tag, linked], [tag, TASK]])
    steps = History.parse(
        [
            [tag, linked],
            [tag, task(tags={"removed": True})],
            [{"name": "Tag", "removed": True}, TASK],
        ]
    ).steps
    assert [(s.kind, s.entity.name) for _, s in steps if isinstance(s, TableChange)] == [
        ("unlink", "Task"),
        ("drop", "Tag"),
    ]


def test_an_entity_is_renamed_in_place_and_relations_follow_it() -> None:
    note = {"name": "Note", "fields": {"body": "text", "task": {"belongs_to": "Task?"}}}
    ticket = {"name": "Ticket", "renamed_from": "Task", "fields": TASK["fields"]}
    moved_note = {"name": "Note", "fields": {"body": "text", "task": {"belongs_to": "Ticket?"}}}
    history: list[object] = [[TASK, note], [ticket, moved_note]]

    model = Model.from_answer(live(history[-1]), history)

    [rename] = model.table_changes("postgresql")
    assert (rename.kind, rename.entity.table, rename.to and rename.to.table) == (
        "rename",
        "tasks",
        "tickets",
    )
    assert rename.keyed  # Note's foreign key refers to its (tenant_id, id) key
    assert model.changes("postgresql") == []  # Note's relation follows: no change of its own
    upgrade = "\n".join(model.upgrade(rename))
    assert 'op.rename_table("tasks", "tickets")' in upgrade
    assert '"ux_tasks_tenant_id_id",\n        "ux_tickets_tenant_id_id"' in upgrade


def test_a_renamed_entity_moves_its_association_tables_and_their_links() -> None:
    tag = {"name": "Tag", "fields": {"label": "str"}}
    before = task(tags={"many": "Tag"}, blocks={"many": "Task"})
    project = {"name": "Project", "fields": {"name": "str", "tasks": {"many": "Task"}}}
    ticket = {
        "name": "Ticket",
        "renamed_from": "Task",
        "fields": {**before["fields"], "blocks": {"many": "Ticket"}},
    }
    moved_project = {"name": "Project", "fields": {"name": "str", "tasks": {"many": "Ticket"}}}
    history: list[object] = [[tag, before, project], [tag, ticket, moved_project]]

    model = Model.from_answer(live(history[-1]), history)

    [rename] = model.table_changes("sqlite")
    moved = [
        (old.table, new.table, new.owner_column, new.target_column, before.table, after.table)
        for old, new, before, after in rename.moved_links
    ]
    assert moved == [
        ("task_tags", "ticket_tags", "ticket_id", "tag_id", "tags", "tags"),
        ("task_blocks", "ticket_blocks", "ticket_id", "block_id", "tasks", "tickets"),
    ]
    # Project's relation to it keeps its table and columns; its foreign key follows.
    assert model.changes("sqlite") == []
    assert "association tables" in rename.summary
    assert [item.table for item in model.of("Project").many] == ["project_tasks"]


FLOW: dict[str, Any] = {
    "initial": "open",
    "transitions": {"open": ["done"], "done": ["open"]},
}


def flowing(**workflow: object) -> dict[str, Any]:
    return {**TASK, "workflow": {**FLOW, **workflow}}


def test_a_workflow_is_added_renamed_and_removed_as_its_column() -> None:
    renamed = flowing(field="stage", renamed_from="status")
    wider = flowing(
        field="stage", transitions={"open": ["done"], "done": ["archived"], "archived": []}
    )
    removed = {**TASK, "workflow": {"removed": True}}
    history: list[object] = [[TASK], [flowing()], [renamed], [wider], [removed]]

    steps = [step for _, step in History.parse(history).steps if isinstance(step, Change)]

    assert [(step.kind, step.field.name) for step in steps] == [
        ("add", "status"),
        ("rename", "stage"),
        ("alter", "stage"),
        ("remove", "stage"),
    ]
    # Rows that exist start in the initial state; the column is indexed like a created one.
    assert (steps[0].field.default, steps[0].field.nullable) == ("open", False)
    model = Model.from_answer(live(history[-1]), history)
    [add, rename, alter, remove] = model.changes("sqlite")
    assert 'batch.create_index("ix_tasks_status", ["status"])' in "\n".join(model.upgrade(add))
    assert "steps.fill" in "\n".join(model.upgrade(add))
    moved = "\n".join(model.upgrade(rename))
    assert 'batch.drop_index("ix_tasks_status")' in moved
    assert 'new_column_name="stage"' in moved
    assert 'batch.create_index("ix_tasks_stage", ["stage"])' in moved
    assert "ix_tasks_stage" not in "\n".join(model.upgrade(alter))  # the index stays
    # Its step down gives every row the initial state back: the column is required again.
    assert "steps.fill" in "\n".join(model.downgrade(remove))
    assert model.of("Task").workflow is None


@pytest.mark.parametrize(
    ("history", "rule"),
    [
        ([[flowing()], [TASK]], "workflow is gone.*`workflow: {removed: true}`"),
        ([[TASK], [{**TASK, "workflow": {"removed": True}}]], "marked removed, but it has none"),
        ([[flowing()], [flowing(field="stage")]], "add `renamed_from: status`"),
        ([[flowing()], [flowing(renamed_from="status")]], "must be its field"),
        ([[TASK], [flowing(renamed_from="status")]], "no field to rename it from"),
        ([[flowing()], [{**TASK, "workflow": {"removed": True, "field": "x"}}]], "alone"),
    ],
)
def test_a_workflow_change_the_history_cannot_tell_is_refused(
    history: list[object], rule: str
) -> None:
    with pytest.raises(EntityRuleError, match=rule):
        History.parse(history)


def test_workflow_markers_stay_in_the_history() -> None:
    renamed = flowing(field="stage", renamed_from="status")

    assert live([renamed]) == [flowing(field="stage")]
    assert live([{**TASK, "workflow": {"removed": True}}]) == [TASK]
    assert "schema_history" in check_answers({"entities": [renamed]})[0]
