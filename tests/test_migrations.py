"""Revision ids of the rendered migrations: from content, chained, stable when appending."""

import pytest
import yaml

from generator.migrations import REVISION_LENGTH, Migration
from generator.model import Model

TASK = {"name": "Task", "fields": {"title": "str"}}
NOTE = {"name": "Note", "fields": {"body": "text"}}
PROJECT = {"name": "Project", "fields": {"budget": "decimal?"}}


def revisions(answer: object, database: str) -> list[Migration]:
    return Model.from_answer(answer).migrations(database)


def test_ids_are_hex_of_the_documented_length_and_chain_in_order() -> None:
    chain = revisions([TASK, NOTE, PROJECT], "sqlite")

    assert [m.entity.name for m in chain] == ["Task", "Note", "Project"]
    assert [m.down_revision for m in chain] == [None, chain[0].revision, chain[1].revision]
    for item in chain:
        assert len(item.revision) == REVISION_LENGTH
        int(item.revision, 16)


def test_the_same_answers_give_the_same_ids() -> None:
    text = yaml.safe_dump([TASK, NOTE])

    assert revisions(yaml.safe_load(text), "sqlite") == revisions([TASK, NOTE], "sqlite")


def test_appending_an_entity_leaves_every_earlier_revision_as_it_was() -> None:
    before = revisions([TASK, NOTE], "postgresql")
    after = revisions([TASK, NOTE, PROJECT], "postgresql")

    assert after[:2] == before
    assert after[2].down_revision == before[-1].revision


@pytest.mark.parametrize(
    "changed",
    [
        {"name": "Task", "fields": {"title": "str?"}},
        {"name": "Task", "fields": {"title": {"type": "str", "max_length": 80}}},
        {"name": "Task", "fields": {"title": "str", "notes": "text?"}},
    ],
)
def test_a_different_schema_gives_a_different_id(changed: dict[str, object]) -> None:
    assert revisions([changed], "sqlite")[0].revision != revisions([TASK], "sqlite")[0].revision


def test_the_database_is_part_of_the_content() -> None:
    sqlite = revisions([TASK], "sqlite")[0].revision

    assert revisions([TASK], "postgresql")[0].revision != sqlite


def test_one_entity_is_found_in_the_chain() -> None:
    found = Model.from_answer([TASK, NOTE]).migration(NOTE, "sqlite")

    assert found.down_revision == revisions([TASK], "sqlite")[0].revision


def test_an_entity_outside_the_answer_is_an_error() -> None:
    with pytest.raises(LookupError, match="'Project' is not one of the entities"):
        Model.from_answer([TASK, NOTE]).migration(PROJECT, "sqlite")
