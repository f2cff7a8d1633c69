"""The answer migrations Copier runs before an update."""

from pathlib import Path

import yaml

from generator.answer_migrations import HEADER, main, rename

OLD_ANSWERS = {
    "_commit": "v0.1.0",
    "project_name": "Orders",
    "author_name": "Orders Team",
    "author_email": "orders@example.com",
    "python_version": "3.13",
}
RENAMES = ["author_name=team", "author_email=team_email"]


def test_renamed_answers_keep_their_values_and_their_place(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text(yaml.safe_dump(OLD_ANSWERS, sort_keys=False), "utf-8")

    assert main(["rename", *RENAMES], answers_file) == 0

    text = answers_file.read_text("utf-8")
    assert text.startswith(HEADER)
    migrated = yaml.safe_load(text)
    assert list(migrated) == ["_commit", "project_name", "team", "team_email", "python_version"]
    assert (migrated["team"], migrated["team_email"]) == ("Orders Team", "orders@example.com")


def test_running_twice_changes_nothing_more(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text(yaml.safe_dump(OLD_ANSWERS, sort_keys=False), "utf-8")
    main(["rename", *RENAMES], answers_file)
    once = answers_file.read_bytes()

    main(["rename", *RENAMES], answers_file)

    assert answers_file.read_bytes() == once


def test_an_answer_already_under_its_new_name_wins() -> None:
    both = {"author_name": "Old", "team": "New"}

    assert rename(both, {"author_name": "team"}) == {"team": "New"}


def test_a_bad_invocation_is_refused(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("a: 1\n", "utf-8")

    assert main(["shuffle"], answers_file) == 2
    assert answers_file.read_text("utf-8") == "a: 1\n"


def test_a_service_without_a_history_gets_its_entities_as_the_first_snapshot(
    tmp_path: Path,
) -> None:
    entities = [{"name": "Task", "fields": {"title": "str"}}]
    answers_file = tmp_path / ".copier-answers.yml"
    answers = {"_commit": "v0.7.0", "entities": entities, "kubernetes": False}
    answers_file.write_text(yaml.safe_dump(answers, sort_keys=False), "utf-8")

    assert main(["record-history"], answers_file) == 0
    once = answers_file.read_bytes()
    main(["record-history"], answers_file)

    migrated = yaml.safe_load(answers_file.read_text("utf-8"))
    assert list(migrated) == ["_commit", "entities", "schema_history", "kubernetes"]
    assert migrated["schema_history"] == [entities]
    assert answers_file.read_bytes() == once


def test_a_template_step_is_recorded_after_the_history_once(tmp_path: Path) -> None:
    entities = [{"name": "Task", "fields": {"title": "str"}}]
    answers_file = tmp_path / ".copier-answers.yml"
    answers = {"_commit": "v0.7.0", "entities": entities, "kubernetes": False}
    answers_file.write_text(yaml.safe_dump(answers, sort_keys=False), "utf-8")

    main(["record-history"], answers_file)
    assert main(["template-step", "row_versions", "idempotency_keys"], answers_file) == 0
    once = answers_file.read_bytes()
    main(["template-step", "row_versions", "idempotency_keys"], answers_file)

    migrated = yaml.safe_load(answers_file.read_text("utf-8"))
    steps = [{"template": "row_versions"}, {"template": "idempotency_keys"}]
    assert migrated["schema_history"] == [entities, *steps]
    assert list(migrated) == ["_commit", "entities", "schema_history", "kubernetes"]
    assert answers_file.read_bytes() == once
