"""The ``blueprint`` CLI through Typer's CliRunner: exit codes, messages, nothing written."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import __version__
from generator.cli import app
from generator.errors import AnswerError
from generator.render import parse_data, template_source
from generator.validate import openapi_step

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output.strip() == f"blueprint {__version__}"


def test_the_shipped_template_is_found() -> None:
    assert (template_source() / "copier.yml").is_file()
    assert (template_source() / "template" / "pyproject.toml.jinja").is_file()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["package_name=os"], "package_name: 'os' would shadow the standard-library module"),
        (["package_name=class"], "package_name: 'class' is a Python keyword"),
        (["python_version=3.11"], "python_version: '3.11' is not one of 3.12, 3.13"),
        (["team_email=nobody"], "team_email: value is not a valid email address"),
        (["colour=blue"], "colour: not a question of this template"),
        (["package_name"], "--data 'package_name': expected KEY=VALUE"),
        (["package_name=a", "package_name=b"], "--data package_name: given twice"),
    ],
)
def test_new_refuses_bad_answers_with_exit_2_and_writes_nothing(
    tmp_path: Path, data: list[str], message: str
) -> None:
    destination = tmp_path / "svc"
    arguments = ["new", str(destination), "--defaults", "--no-validate"]
    for pair in data:
        arguments += ["--data", pair]

    result = runner.invoke(app, arguments)

    assert result.exit_code == 2
    assert message in _plain(result.output)
    assert not destination.exists()


def test_new_refuses_a_bad_derived_default_with_exit_2(tmp_path: Path) -> None:
    destination = tmp_path / "svc"
    name = "project_name=An Extraordinarily Long Service Name For Testing"

    result = runner.invoke(app, ["new", str(destination), "--defaults", "-d", name])

    assert result.exit_code == 2
    assert "package_name" in _plain(result.output)
    assert not destination.exists()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", "utf-8")

    result = runner.invoke(app, ["new", str(tmp_path), "--defaults", "--no-validate"])

    assert result.exit_code == 2
    assert "exists and is not empty" in _plain(result.output)
    assert [path.name for path in tmp_path.iterdir()] == ["keep.txt"]


def test_new_renders_into_an_empty_folder_without_validating(tmp_path: Path) -> None:
    destination = tmp_path / "svc"
    destination.mkdir()

    result = runner.invoke(
        app, ["new", str(destination), "--defaults", "--no-validate", "-d", "project_name=Orders"]
    )

    assert result.exit_code == 0, result.output
    assert (destination / "src" / "orders" / "main.py").is_file()
    assert "rendered" in result.output
    assert "uv sync" not in result.output
    # Only the checks write the OpenAPI document: say how to write it without them.
    assert not (destination / "docs" / "openapi.json").exists()
    assert "uv run python -m orders openapi" in _plain(result.output)


def test_new_takes_entities_as_yaml_text(tmp_path: Path) -> None:
    destination = tmp_path / "svc"
    entities = "- name: Order\n  fields: {reference: str, total: decimal}"

    result = runner.invoke(
        app, ["new", str(destination), "--defaults", "--no-validate", "-d", f"entities={entities}"]
    )

    assert result.exit_code == 0, result.output
    routes = destination / "src" / "task_service" / "api" / "routes"
    assert sorted(path.name for path in routes.glob("*.py")) == ["__init__.py", "order.py"]


def test_new_refuses_a_bad_entity_naming_entity_field_and_rule(tmp_path: Path) -> None:
    destination = tmp_path / "svc"
    entities = "- name: Order\n  fields: {id: str}"

    result = runner.invoke(
        app, ["new", str(destination), "--defaults", "--no-validate", "-d", f"entities={entities}"]
    )

    assert result.exit_code == 2
    assert "entities: entity 'Order', field 'id': the name is reserved" in _plain(result.output)
    assert not destination.exists()


def test_validate_refuses_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])

    assert result.exit_code == 1
    assert "has no pyproject.toml" in _plain(result.output)


def test_validate_names_the_failed_step_and_exits_4(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\ndependencies = ["no-such-package-blueprint-test"]\n',
        "utf-8",
    )

    result = runner.invoke(app, ["validate", str(tmp_path)])

    output = _plain(result.output)
    assert result.exit_code == 4
    assert (
        "validation failed at: uv sync, openapi document (not run), ruff check (not run)" in output
    )
    assert "uv sync: last lines of output" in output


def test_parse_data_keeps_everything_after_the_first_equals_sign() -> None:
    assert parse_data(["description=a=b", "project_name= Spaced "]) == {
        "description": "a=b",
        "project_name": " Spaced ",
    }
    with pytest.raises(AnswerError):
        parse_data(["=value"])


def _plain(output: str) -> str:
    return re.sub(r"\s+", " ", output)


def test_the_openapi_step_writes_a_missing_document_and_checks_a_present_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "src" / "orders").mkdir(parents=True)
    (tmp_path / "src" / "orders" / "__main__.py").write_text("", "utf-8")
    write = ("run", "--no-sync", "python", "-m", "orders", "openapi")

    assert openapi_step(tmp_path, refresh=False).uv_args == write
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "openapi.json").write_text("{}", "utf-8")
    assert openapi_step(tmp_path, refresh=False).uv_args == (*write, "--check")
    # After a render or an update the template may have changed the API: write it anew.
    assert openapi_step(tmp_path, refresh=True).uv_args == write
