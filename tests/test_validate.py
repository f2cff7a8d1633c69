"""The rendered projects' own checks, run for real: the proof that every render is green."""

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from pytest_copie.plugin import Copie

from generator.validate import STEPS, Report, validate_project
from tests.conftest import (
    CONSTRAINED_ENTITIES,
    DELIVERY_VARIANT,
    EXTREME_ANSWERS,
    POSTGRES_REDIS,
    POSTGRES_URL,
    REDIS_URL,
    THREE_ENTITIES,
    ValidatedCopy,
    cell_environment,
    render_with,
    require_server,
)

#: (database, cache) beyond the embedded defaults, which the tests above cover.
BACKENDS = [("postgresql", "memory"), ("sqlite", "redis"), ("postgresql", "redis")]
ENTITY_SETS = {"default": None, "three": THREE_ENTITIES}
#: One cell also carries the non-default delivery answers (no event stream, GitLab CI,
#: Kubernetes), so a service without realtime is proven to pass its own checks too.
CELL_EXTRAS: dict[tuple[str, str, str], Mapping[str, object]] = {
    ("postgresql", "memory", "default"): DELIVERY_VARIANT,
}

pytestmark = pytest.mark.slow


def _assert_green(report: Report) -> None:
    """Every step passed, and the project's own pytest ran with no failure, skip or error."""
    assert report.passed, _failures(report)
    output = report.results[-1].output
    assert re.search(r"\b\d+ passed\b", output)
    assert not re.search(r"\b\d+ (failed|skipped|errors?)\b", output)
    assert "Required test coverage of 90.0% reached" in output


def _failures(report: Report) -> str:
    return "\n\n".join(
        f"== {result.step.name}\n{result.output[-3000:]}"
        for result in report.results
        if not result.passed
    )


@pytest.mark.xdist_group("renders")
def test_the_default_render_passes_all_its_own_checks(
    default_project: Path, validated_copy: ValidatedCopy
) -> None:
    report = validated_copy(default_project)

    _assert_green(report)
    assert [result.step.name for result in report.results] == [step.name for step in STEPS]


@pytest.mark.xdist_group("extreme")
def test_the_extreme_render_on_python_3_12_passes_all_its_own_checks(
    extreme_project: Path, validated_copy: ValidatedCopy
) -> None:
    report = validated_copy(extreme_project)

    assert report.passed, _failures(report)
    assert "python 3.12" in report.results[-1].output.lower()


def test_the_extreme_render_on_postgresql_and_redis_passes_all_its_own_checks(
    copie: Copie, template_dir: Path, tmp_path: Path
) -> None:
    require_server("PostgreSQL", POSTGRES_URL, 5432)
    require_server("Redis", REDIS_URL, 6379)
    project = tmp_path / "extreme-backends"
    shutil.copytree(
        render_with(copie, template_dir, {**EXTREME_ANSWERS, **POSTGRES_REDIS}), project
    )

    report = validate_project(project, env=cell_environment("bp_extreme"))

    assert report.passed, _failures(report)
    assert "python 3.12" in report.results[-1].output.lower()


@pytest.mark.xdist_group("three")
def test_three_entities_at_once_pass_all_their_own_checks(
    three_entities_project: Path, validated_copy: ValidatedCopy
) -> None:
    report = validated_copy(three_entities_project)

    assert report.passed, _failures(report)
    output = report.results[-1].output
    assert re.search(r"\b\d+ passed\b", output)
    assert "Required test coverage of 90.0% reached" in output
    assert (three_entities_project / "src/task_service/api/routes/line_item.py").is_file()


@pytest.mark.xdist_group("broken")
def test_a_broken_project_fails_the_steps_it_breaks_and_runs_the_rest(
    copie: Copie, template_dir: Path, tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    shutil.copytree(render_with(copie, template_dir, {}), project)
    main = project / "src" / "task_service" / "main.py"
    main.write_text(main.read_text("utf-8") + "\nimport os\nseparator   =  os.sep\n", "utf-8")

    report = validate_project(project)

    assert not report.passed
    assert report.failed_steps == ["ruff check", "ruff format"]
    assert len(report.results) == len(STEPS)
    ruff = next(result for result in report.results if result.step.name == "ruff check")
    assert "E402" in ruff.output


def test_an_uninstallable_project_stops_after_uv_sync(tmp_path: Path) -> None:
    project = tmp_path / "unresolvable"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\nrequires-python = ">=3.12"\n'
        'dependencies = ["no-such-package-blueprint-test==0.0.1"]\n',
        "utf-8",
    )

    report = validate_project(project)

    assert [result.step.name for result in report.results] == ["uv sync"]
    assert report.failed_steps == ["uv sync"] + [f"{step.name} (not run)" for step in STEPS[1:]]
    assert "no-such-package-blueprint-test" in report.results[0].output


@pytest.mark.parametrize("entity_set", list(ENTITY_SETS))
@pytest.mark.parametrize(("database", "cache"), BACKENDS)
def test_every_backend_cell_passes_all_its_own_checks_on_real_servers(
    copie: Copie,
    template_dir: Path,
    tmp_path: Path,
    database: str,
    cache: str,
    entity_set: str,
) -> None:
    if database == "postgresql":
        require_server("PostgreSQL", POSTGRES_URL, 5432)
    if cache == "redis":
        require_server("Redis", REDIS_URL, 6379)
    answers: dict[str, object] = {"database": database, "cache": cache}
    answers.update(CELL_EXTRAS.get((database, cache, entity_set), {}))
    if (entities := ENTITY_SETS[entity_set]) is not None:
        answers["entities"] = yaml.safe_dump(entities, sort_keys=False)
    project = tmp_path / "cell"
    shutil.copytree(render_with(copie, template_dir, answers), project)
    report = validate_project(project, env=cell_environment(f"bp_{database}_{cache}_{entity_set}"))

    _assert_green(report)
    rls_test = project / "tests" / "infrastructure" / "test_row_level_security.py"
    assert rls_test.is_file() == (database == "postgresql")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_constrained_entities_pass_all_their_own_checks(
    copie: Copie, template_dir: Path, tmp_path: Path, database: str
) -> None:
    """Constraints, enums, defaults, unique fields, filters, sort and relations, for real."""
    if database == "postgresql":
        require_server("PostgreSQL", POSTGRES_URL, 5432)
    entities = yaml.safe_dump(CONSTRAINED_ENTITIES, sort_keys=False)
    project = tmp_path / "cell"
    answers = {"database": database, "entities": entities}
    shutil.copytree(render_with(copie, template_dir, answers), project)
    report = validate_project(project, env=cell_environment(f"bp_related_{database}"))

    _assert_green(report)
    api_tests = (project / "tests" / "api" / "test_entities.py").read_text(encoding="utf-8")
    cases = (project / "tests" / "cases.py").read_text(encoding="utf-8")
    repository_tests = project / "tests" / "infrastructure" / "test_entity_repositories.py"
    for name in (
        "test_each_declared_constraint_is_422_naming_the_field",
        "test_fields_left_out_take_their_declared_defaults",
        "test_unique_fields_are_unique_per_tenant",
        "test_filters_and_sort_agree_with_a_plain_python_model",
        "test_a_relation_to_a_row_the_tenant_lacks_is_422_naming_it",
        "test_lists_filter_by_a_relation_and_nest_under_its_row",
        "test_deleting_the_named_row_does_what_on_delete_says",
    ):
        assert f"def {name}" in api_tests
    # The table those tests run over holds each entity's constraints, defaults and keys.
    for held in ('"Task": Case(', "violations=(", "defaults={", "unique={", "listing=Listing("):
        assert held in cases, held
    assert "check_constraints_forbid" in repository_tests.read_text(encoding="utf-8")
    assert "def test_the_database_refuses_a_relation_into_another_tenant" in (
        repository_tests.read_text(encoding="utf-8")
    )
