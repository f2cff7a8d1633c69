"""The ``entities`` answer: its rules, directly and through Copier, and the names it yields."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from generator.answers import answer_error
from generator.entities import UNIQUE_ROWS, distinct_values, parse_entities, workflow_path
from generator.pyimports import from_import

TASK: dict[str, Any] = {"name": "Task", "fields": {"title": "str"}}
TWO_STATES = {"a": ["b"], "b": []}

#: (entities answer, part of the message naming entity, field and rule)
BAD_ENTITIES: list[tuple[object, str]] = [
    ([], "must be a non-empty list"),
    ([{"name": "task", "fields": {"a": "str"}}], "entity 'task': the name must be PascalCase"),
    ([{"name": "Line_Item", "fields": {"a": "str"}}], "must be PascalCase"),
    ([{"name": "A" + "b" * 20, "fields": {"a": "str"}}], "at most 20 characters"),
    ([{"name": "Settings", "fields": {"a": "str"}}], "used by the rendered code itself"),
    ([{"name": "Task", "fields": {}}], "entity 'Task': fields:"),
    ([{"name": "Task"}], "entity 'Task': fields: Field required"),
    ([{"name": "Task", "fields": {"id": "str"}}], "field 'id': the name is reserved"),
    ([{"name": "Task", "fields": {"tenant_id": "str"}}], "field 'tenant_id': the name is reserved"),
    ([{"name": "Task", "fields": {"class": "str"}}], "field 'class': the name is a Python keyword"),
    ([{"name": "Task", "fields": {"Title": "str"}}], "field 'Title': the name must be snake_case"),
    ([{"name": "Task", "fields": {"metadata": "str"}}], "would shadow a Pydantic or SQLAlchemy"),
    ([{"name": "Task", "fields": {"a": "string"}}], "type 'string' is not one of str, text"),
    ([{"name": "Task", "fields": {"a": {"type": "int", "max_length": 3}}}], "max_length applies"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "max_length": 0}}}], "whole number from 1"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "size": 3}}}], "unknown keys ['size']"),
    ([TASK, {**TASK}], "entity 'Task': declared twice"),
    ([{"name": "Person", "fields": {"a": "str"}}, {"name": "People", "fields": {"a": "str"}}],
     "entity 'People': its name collides with 'Person'"),
    ([{**TASK, "ownership": ["owner"]}], "ownership field 'owner' must be a str field"),
    ([{"name": "Task", "fields": {"n": "int"}, "ownership": ["n"]}], "must be a str field"),
    ([{**TASK, "workflow": {"initial": "x", "transitions": {"a": ["b"], "b": []}}}],
     "initial state 'x' is not one of ['a', 'b']"),
    ([{**TASK, "workflow": {"initial": "a", "transitions": {"a": ["z"], "b": []}}}],
     "'a' moves to 'z', which is not a state"),
    ([{**TASK, "workflow": {"initial": "a", "transitions": {"a": ["a", "b"], "b": []}}}],
     "'a' moves to itself"),
    ([{**TASK, "workflow": {"initial": "a", "transitions": {"a": [], "b": ["a"]}}}],
     "states ['b'] cannot be reached from 'a'"),
    ([{**TASK, "workflow": {"field": "title", "initial": "a", "transitions": TWO_STATES}}],
     "field 'title' is also declared under fields"),
    ([{**TASK, "workflow": {"initial": "a", "transitions": {"a": []}}}], "at least 2 items"),
    # Constraints, enums and relations.
    ([{"name": "Task", "fields": {"n": {"type": "int", "min": 5, "max": 5}}}],
     "field 'n': min 5 must be less than max 5"),
    ([{"name": "Task", "fields": {"n": {"type": "bool", "min": 1}}}], "min applies to int"),
    ([{"name": "Task", "fields": {"a": {"type": "int", "min_length": 2}}}],
     "min_length applies to str and text fields only"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "min_length": 9, "max_length": 3}}}],
     "min_length 9 is greater than max_length 3"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "pattern": "[a-", "examples": ["a", "b"]}}}],
     "pattern '[a-' does not compile"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "pattern": "(?=a)a"}}}], "look-around"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "pattern": "[A-Z]+"}}}],
     "a pattern needs examples"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "pattern": "[A-Z]+",
                                        "examples": ["AB", "x1"]}}}],
     "example 'x1' does not match the pattern"),
    ([{"name": "Task", "fields": {"p": {"enum": ["low"]}}}], "enum must list 2 to 50"),
    ([{"name": "Task", "fields": {"p": {"enum": ["low", "High"]}}}],
     "enum value 'High' must be snake_case"),
    ([{"name": "Task", "fields": {"p": {"enum": ["low", "high"], "default": "mid"}}}],
     "default 'mid' is not one of ['low', 'high']"),
    ([{"name": "Task", "fields": {"n": {"type": "int", "max": 3, "default": 4}}}],
     "default 4 is above max 3"),
    ([{"name": "Task", "fields": {"d": {"type": "datetime", "min": "2030-01-01T00:00:00"}}}],
     "needs a time zone"),
    ([{"name": "Task", "fields": {"f": {"type": "float", "unique": True}}}],
     "unique applies to date, datetime, decimal, enum, int, str, uuid fields (not float)"),
    ([{"name": "Task", "fields": {"a": "str", "p": {"belongs_to": "Projet"}}}],
     "field 'p': 'Projet' is not an entity (entities: Task)"),
    ([{"name": "Task", "fields": {"a": "str", "parent": {"belongs_to": "Task"}}}],
     "a required self-reference means no first row could ever be created"),
    ([{"name": "Alpha", "fields": {"x": "str", "b": {"belongs_to": "Beta"}}},
      {"name": "Beta", "fields": {"x": "str", "a": {"belongs_to": "Alpha"}}}],
     "the required relations Alpha -> Beta -> Alpha form a cycle"),
    ([{"name": "Task", "fields": {"p": {"belongs_to": "Task?", "on_delete": "set_null"},
                                  "p_id": "uuid"}}],
     "its column 'p_id' clashes with another field"),
    ([{"name": "Task", "fields": {"p": {"belongs_to": "Task", "on_delete": "set_null"}}}],
     "on_delete set_null needs an optional relation"),
    ([{"name": "Task", "fields": {"p": {"belongs_to": "Task?", "on_delete": "nullify"}}}],
     "on_delete 'nullify' is not one of restrict, cascade, set_null"),
    ([{"name": "Task", "fields": {"p": {"enum": ["a", "b"], "belongs_to": "Task"}}}],
     "use one of enum, belongs_to and many, not enum and belongs_to"),
    ([{"name": "Task", "fields": {"a": "str", "tags": {"many": "Tag"}}},
      {"name": "Tag", "fields": {"a": "str"}}],
     "entity 'Task', field 'tags': 'Tag' must be declared before 'Task' (the association "
     "table 'task_tags' is created with its owner's table)"),
    ([{"name": "Tag", "fields": {"a": "str"}},
      {"name": "Task", "fields": {"a": "str", "tags": {"many": "Tag"}}},
      {"name": "TaskTag", "fields": {"a": "str"}}],
     "entity 'Task', field 'tags': its association table 'task_tags' clashes with the table "
     "of entity 'TaskTag'"),
    ([{"name": "Tag", "fields": {"a": "str"}},
      {"name": "Task", "fields": {"tag_id": "uuid", "tags": {"many": "Tag"}}}],
     "entity 'Task', field 'tags': its list filter 'tag_id' clashes with another field"),
    ([{"name": "Tag", "fields": {"a": "str"}},
      {"name": "Task", "fields": {"a": "str", "tags": {"many": "Tag"}, "tag": {"many": "Tag"}}}],
     "entity 'Task', field 'tag': its list filter 'tag_id' clashes with another field"),
    ([{"name": "Task", "fields": {"a": "str", "tasks": {"many": "Task"}}}],
     "the association table would hold 'task_id' twice; name the relation otherwise"),
    ([{"name": "Task", "fields": {"a": "str", "tags": {"many": "Tag?"}}}],
     "entity 'Task', field 'tags': many 'Tag?' must name an entity"),
    ([{"name": "Relations", "fields": {"a": "str"}}],
     "entity 'Relations': its module 'relations' is one the rendered code has already"),
    ([{"name": "Task", "fields": {"p": {"belongs_to": "Task?"}}}],
     "entity 'Task': declare at least one field that is not a relation"),
    ([{"name": "Task", "fields": {"a": "str", "p": {"belongs_to": "Task?"}},
       "list": {"filter": ["p_id"]}}],
     "list filter 'p_id': every relation is a filter already; leave it out"),
    ([{"name": "Task", "fields": {"a": "str", "p": {"belongs_to": "Project"}}},
      {"name": "Project", "fields": {"a": "str"}}],
     "'Project' must be declared before 'Task' (migrations create the tables in declaration"),
    ([{"name": "Task", "fields": {"n": {"type": "int", "unique": True, "min": 1, "max": 4}}}],
     "field 'n': unique needs at least 8 distinct valid values (the rendered tests create "
     "that many rows, each with its own value); give wider bounds"),
    ([{"name": "Task", "fields": {"p": {"enum": ["a", "b", "c"], "unique": True}}}],
     "field 'p': unique needs at least 8 distinct valid values (the rendered tests create "
     "that many rows, each with its own value); give more values"),
    ([{"name": "Task", "fields": {"c": {"type": "str", "unique": True, "pattern": "A-[12]",
                                        "examples": ["A-1", "A-2"]}}}],
     "field 'c': unique needs at least 8 distinct valid values (the rendered tests create "
     "that many rows, each with its own value); give examples that differ in a digit or letter"),
    ([{"name": "Task", "fields": {"a": {"type": "str", "unique": "yes"}}}],
     "field 'a': unique must be true or false"),
    # List filters and sort keys.
    ([{"name": "Task", "fields": {"a": "str"}, "list": {"filter": ["a"]}}],
     "entity 'Task', list filter 'a': filters are enum and bool fields of the entity"),
    ([{"name": "Task", "fields": {"a": "bool"}, "list": {"filter": ["a", "a"]}}],
     "entity 'Task', list filter 'a': listed twice"),
    ([{"name": "Task", "fields": {"a": "decimal"}, "list": {"sort": ["a"]}}],
     "list sort 'a': sort keys are created_at, updated_at and fields of type date, datetime"),
    ([{"name": "Task", "fields": {"a": "str"}, "list": {"sort": ["b"]}}],
     "entity 'Task', list sort 'b': sort keys are created_at"),
    ([{"name": "Task", "fields": {"a": "str"}, "list": {}}],
     "entity 'Task': list: declare a filter or a sort key, or leave list out"),
    ([{"name": "Task", "fields": {"a": "str"}, "list": {"order": ["a"]}}],
     "entity 'Task': list.order: Extra inputs are not permitted"),
    ([{"name": "Task", "fields": {"a": "str"},
       "workflow": {"initial": "x", "transitions": {"x": ["y"], "y": []}},
       "list": {"filter": ["status"]}}],
     "entity 'Task', list filter 'status': the workflow field is always a filter"),
]  # fmt: skip


@pytest.mark.parametrize(("entities", "rule"), BAD_ENTITIES)
def test_every_bad_entities_answer_is_refused_with_its_rule(entities: object, rule: str) -> None:
    message = answer_error(entities, "entities")

    assert message.startswith("entities: ")
    assert rule in message


#: End to end through Copier, a few of the rules above: the answer's shape, a field rule,
#: a workflow rule, a cross-entity rule and a list rule (each a full Copier run).
THROUGH_COPIER = [BAD_ENTITIES[0], *(
    next(case for case in BAD_ENTITIES if marker in case[1])
    for marker in ("field", "workflow", "is not an entity", "list ")
)]  # fmt: skip


@pytest.mark.parametrize(("entities", "rule"), THROUGH_COPIER)
def test_copier_refuses_bad_entities_and_writes_nothing(
    template_dir: Path, tmp_path: Path, entities: object, rule: str
) -> None:
    destination = tmp_path / "out"

    with pytest.raises(ValueError, match="question 'entities'") as caught:
        copier.run_copy(
            str(template_dir),
            destination,
            data={"entities": entities},
            defaults=True,
            unsafe=True,
            quiet=True,
        )

    assert rule in str(caught.value)
    assert not destination.exists()


def test_yaml_text_from_a_command_line_is_parsed_and_checked() -> None:
    assert answer_error("- name: Order\n  fields: {total: decimal}", "entities") == ""
    assert answer_error("not: [valid", "entities").startswith("entities: is not valid YAML")


def test_names_of_a_multi_word_entity_and_a_reserved_word() -> None:
    line_item, order = parse_entities(
        [{"name": "LineItem", "fields": {"sku": "str"}}, {"name": "Order", "fields": {"n": "int"}}]
    )

    assert (line_item.module, line_item.plural, line_item.path) == (
        "line_item",
        "line_items",
        "line-items",
    )
    assert (line_item.label, line_item.article) == ("line item", "a")
    assert (order.table, order.path, order.article) == ("orders", "orders", "an")


def test_field_types_nullability_and_defaults() -> None:
    [entity] = parse_entities(
        [
            {
                "name": "Thing",
                "fields": {"a": "str", "b": "decimal?", "c": {"type": "str", "max_length": 9}},
            }
        ]
    )

    a, b, c = entity.fields
    assert (a.annotation, a.max_length, a.column_type) == ("str", 255, "String(255)")
    assert (b.annotation, b.column_type, b.schema_annotation) == (
        "Decimal | None",
        "ExactDecimal()",
        "Amount | None",
    )
    assert c.column_type == "String(9)"
    assert entity.orm_imports == ["Base", "ExactDecimal", "UtcDateTime"]


UNIQUE_FIELDS = """
- name: Ledger
  fields:
    code: {type: str, max_length: 6, pattern: "[A-Z]{2}-[0-9]", examples: [AB-1, AB-2],
           unique: true}
    name: {type: str, min_length: 4, max_length: 5, unique: true}
    seq: {type: int, min: -3, max: 4, unique: true}
    share: {type: decimal, min: 0, max: 1, unique: true}
    day: {type: "date?", max: 2030-01-05, unique: true}
    ref: {type: uuid, unique: true}
    size: {enum: [xs, s, m, l, xl, jumbo, giant, huge], unique: true}
"""


def test_unique_fields_get_distinct_values_that_meet_every_constraint() -> None:
    [ledger] = parse_entities(yaml.safe_load(UNIQUE_FIELDS))
    by_name = {field.name: field for field in ledger.fields}
    values = {name: distinct_values(field, UNIQUE_ROWS) for name, field in by_name.items()}

    for name, found in values.items():
        assert len(set(map(str, found))) == UNIQUE_ROWS, (name, found)
    assert all(re.fullmatch(r"[A-Z]{2}-[0-9]", str(code)) for code in values["code"])
    assert values["code"][:2] == ["AB-1", "AB-2"], "the samples come first"
    assert all(4 <= len(str(name)) <= 5 for name in values["name"])
    assert all(-3 <= int(str(seq)) <= 4 for seq in values["seq"])
    assert all(Decimal(0) <= Decimal(str(share)) <= 1 for share in values["share"])
    assert all(str(day) <= "2030-01-05" for day in values["day"])
    assert by_name["code"].distinct_samples_json[0] == '"AB-1"'
    assert by_name["ref"].distinct_samples[0] == 'uuid.UUID("00000000-0000-4000-8000-000000000001")'
    assert [name for name, _ in ledger.uniques][:2] == ["uq_ledgers_code", "uq_ledgers_name"]


def test_list_sort_keys_come_in_both_directions_after_the_default() -> None:
    [task] = parse_entities(
        yaml.safe_load(
            "- name: Task\n"
            "  fields: {title: str, done: bool, due: 'date?'}\n"
            "  list: {filter: [done], sort: [due, created_at]}\n"
        )
    )

    assert task.listing
    assert [field.name for field in task.filters] == ["done"]
    assert [(value, member) for value, member, _, _ in task.sort_keys] == [
        ("created_at", "CREATED_AT"),
        ("-created_at", "CREATED_AT_DESC"),
        ("due", "DUE"),
        ("-due", "DUE_DESC"),
    ]
    assert [field.name for field in task.listed_fields] == ["done", "due"]


def test_workflow_moves_and_paths() -> None:
    default = yaml.safe_load((Path(__file__).parents[1] / "copier.yml").read_text("utf-8"))
    [task] = parse_entities(default["entities"]["default"])

    assert task.workflow is not None
    assert ("todo", "in_progress") in task.workflow.legal
    assert ("done", "todo") in task.workflow.illegal
    assert ("todo", "todo") not in task.workflow.illegal
    assert workflow_path(task.workflow, "done") == ["in_progress", "done"]
    assert workflow_path(task.workflow, "todo") == []


def test_from_import_matches_isort() -> None:
    assert from_import("a.b", ["Task", "ENTITY", "create", "TaskStatus"]) == (
        "from a.b import ENTITY, Task, TaskStatus, create"
    )
    long = from_import("package.domain.module", [f"Name{index:02d}" for index in range(12)])
    assert long.startswith("from package.domain.module import (\n    Name00,\n")
    assert long.endswith("    Name11,\n)")


def test_invariants_are_the_domain_form_of_the_declared_rules() -> None:
    [spec] = parse_entities([{"name": "Item", "fields": {
        "code": {"type": "str?", "max_length": 12, "min_length": 2, "pattern": "[A-Z]+",
                 "examples": ["AB", "CD"]},
        "count": {"type": "int", "min": 1, "max": 9},
        "note": "text",
    }}])  # fmt: skip
    code, count, note = spec.fields

    assert [rule.condition for rule in code.invariants] == [
        "code is not None and not code.strip()",
        "code is not None and len(code) < 2",
        "code is not None and len(code) > 12",
        "code is not None and CODE_PATTERN.fullmatch(code) is None",
    ]
    assert code.invariants[3].body[0] == 'message = f"must match {CODE_PATTERN.pattern}"'
    assert [(rule.condition, rule.comment) for rule in count.invariants] == [
        ("count < 1", ""),
        ("count > 9", "  # noqa: PLR2004 - the declared limit"),
    ]
    assert count.invariants[1].body == ('raise InvariantError(field="count", message="at most 9")',)
    assert [rule.condition for rule in note.invariants] == ["not note.strip()"]


@pytest.mark.parametrize(
    ("field", "rule"),
    [
        ({"type": "decimal", "min": "1.23456"}, "min '1.23456' has more than 4 decimal places"),
        ({"type": "decimal", "min": "NaN"}, "min 'NaN' is not a valid decimal value"),
        ({"type": "datetime", "min": "2030-01-01T00:00:00"}, "needs a time zone"),
        ({"type": "datetime", "min": "soon"}, "min 'soon' is not a valid datetime value"),
        ({"type": "date", "min": "2030-02-30"}, "min '2030-02-30' is not a valid date value"),
        ({"type": "int", "min": True}, "min True is not a valid int value"),
        ({"type": "float", "max": "fast"}, "max 'fast' is not a valid float value"),
        ({"type": "uuid?", "default": "nope"}, "default 'nope' is not a valid uuid value"),
    ],
)
def test_each_kind_reads_its_declared_values(field: dict[str, object], rule: str) -> None:
    message = answer_error([{"name": "Item", "fields": {"value": field}}], "entities")

    assert "entity 'Item', field 'value'" in message
    assert rule in message
