"""What a render writes: complete, fully rendered, answer-driven and byte-identical."""

import itertools
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml
from pytest_copie.plugin import Copie

from generator import render_cache, versions
from generator.model import Model
from tests.conftest import EXTREME_ANSWERS, THREE_ENTITIES, project_files, render_with
from tests.golden import GOLDEN_REVISIONS, read_digests, released, revision_digests
from tests.golden import __main__ as golden_script

#: The entity tables and their ER diagram.
ENTITIES_DOCUMENT = "docs/architecture/entities.md"

pytestmark = pytest.mark.xdist_group("renders")

EXPECTED_FILES = {
    ".copier-answers.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/template-update.yml",
    ".pre-commit-config.yaml",
    ".dockerignore",
    "CHANGELOG.md",
    "catalog-info.yaml",
    "Dockerfile",
    "compose.yaml",
    "docs/architecture/entities.md",
    "docs/architecture/overview.md",
    "docs/decisions/0001-start-from-service-blueprint.md",
    ".env.example",
    ".gitignore",
    ".python-version",
    "README.md",
    "pyproject.toml",
    "scripts/template-update.sh",
    "src/task_service/__init__.py",
    "src/task_service/__main__.py",
    "src/task_service/api/__init__.py",
    "src/task_service/api/auth.py",
    "src/task_service/api/deps.py",
    "src/task_service/api/errors.py",
    "src/task_service/api/events.py",
    "src/task_service/api/health.py",
    "src/task_service/api/idempotency.py",
    "src/task_service/api/input.py",
    "src/task_service/api/limits.py",
    "src/task_service/api/metrics.py",
    "src/task_service/api/middleware.py",
    "src/task_service/api/partial.py",
    "src/task_service/api/problems.py",
    "src/task_service/api/responses.py",
    "src/task_service/api/versions.py",
    "src/task_service/api/routes/__init__.py",
    "src/task_service/api/routes/task.py",
    "src/task_service/api/schemas/__init__.py",
    "src/task_service/api/schemas/task.py",
    "src/task_service/application/__init__.py",
    "src/task_service/application/auth.py",
    "src/task_service/application/bus.py",
    "src/task_service/application/cache.py",
    "src/task_service/application/crud.py",
    "src/task_service/application/errors.py",
    "src/task_service/application/handlers.py",
    "src/task_service/application/idempotency.py",
    "src/task_service/application/messages.py",
    "src/task_service/application/ports.py",
    "src/task_service/application/realtime.py",
    "src/task_service/application/task.py",
    "src/task_service/config.py",
    "src/task_service/domain/__init__.py",
    "src/task_service/domain/errors.py",
    "src/task_service/domain/events.py",
    "src/task_service/domain/task.py",
    "src/task_service/domain/tenancy.py",
    "src/task_service/domain/unset.py",
    "src/task_service/health.py",
    "src/task_service/infrastructure/__init__.py",
    "src/task_service/infrastructure/cache.py",
    "src/task_service/infrastructure/database.py",
    "src/task_service/infrastructure/migrations/__init__.py",
    "src/task_service/infrastructure/migrations/env.py",
    "src/task_service/infrastructure/migrations/steps.py",
    "src/task_service/infrastructure/migrations/script.py.mako",
    "src/task_service/infrastructure/migrations/versions/__init__.py",
    "src/task_service/infrastructure/migrations/versions/change_001_template_row_versions.py",
    "src/task_service/infrastructure/migrations/versions/change_002_template_idempotency_keys.py",
    "src/task_service/infrastructure/migrations/versions/task.py",
    "src/task_service/infrastructure/orm.py",
    "src/task_service/infrastructure/repositories/__init__.py",
    "src/task_service/infrastructure/repositories/base.py",
    "src/task_service/infrastructure/repositories/idempotency.py",
    "src/task_service/infrastructure/repositories/task.py",
    "src/task_service/infrastructure/unit_of_work.py",
    "src/task_service/logs.py",
    "src/task_service/main.py",
    "src/task_service/py.typed",
    "src/task_service/tokens.py",
    "tests/__init__.py",
    "tests/api/__init__.py",
    "tests/api/test_auth.py",
    "tests/api/test_concurrency.py",
    "tests/api/test_health.py",
    "tests/api/test_idempotency.py",
    "tests/api/test_events.py",
    "tests/api/test_fuzz.py",
    "tests/api/test_limits.py",
    "tests/api/test_metrics.py",
    "tests/api/test_middleware.py",
    "tests/api/test_entities.py",
    "tests/api/test_problems.py",
    "tests/application/__init__.py",
    "tests/application/test_bus.py",
    "tests/application/test_entities.py",
    "tests/application/test_isolation.py",
    "tests/application/test_realtime.py",
    "tests/cases.py",
    "tests/conftest.py",
    "tests/domain/__init__.py",
    "tests/domain/test_entities.py",
    "tests/domain/test_tenancy.py",
    "tests/fakes.py",
    "tests/infrastructure/__init__.py",
    "tests/infrastructure/test_cache.py",
    "tests/infrastructure/test_database.py",
    "tests/infrastructure/test_entity_repositories.py",
    "tests/infrastructure/test_migrations.py",
    "tests/parents.py",
    "tests/test_cli.py",
    "tests/proxy.py",
    "tests/test_config.py",
    "tests/test_faults.py",
    "tests/test_health.py",
    "tests/test_logs.py",
    "tests/test_main.py",
    "tests/test_openapi.py",
    "tests/test_server.py",
    "tests/test_tokens.py",
}
#: Jinja's opening delimiters; closing ones also occur in code (``{"a": {"b": 1}}``).
#: ``${{ ... }}`` is a GitHub Actions expression, written on purpose in the workflow.
_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#")


def test_the_default_render_has_exactly_the_expected_files(default_project: Path) -> None:
    assert set(project_files(default_project)) == EXPECTED_FILES


@pytest.mark.parametrize("project_fixture", ["default_project", "extreme_project"])
def test_no_jinja_is_left_anywhere(project_fixture: str, request: pytest.FixtureRequest) -> None:
    project: Path = request.getfixturevalue(project_fixture)
    for name, content in project_files(project).items():
        assert not name.endswith(".jinja"), name
        assert "{{" not in name, name
        # The extreme description holds "{{ braces }}" on purpose: it must come out literally.
        text = content.decode("utf-8").replace("{{ braces }}", "")
        assert not _JINJA.search(text), f"{name}: {_JINJA.search(text)}"


def test_the_answers_reach_every_place_they_belong(extreme_project: Path) -> None:
    pyproject = tomllib.loads((extreme_project / "pyproject.toml").read_text("utf-8"))
    package = EXTREME_ANSWERS["package_name"]

    assert pyproject["project"]["name"] == EXTREME_ANSWERS["project_slug"]
    assert pyproject["project"]["description"] == EXTREME_ANSWERS["description"]
    assert pyproject["project"]["authors"] == [
        {"name": EXTREME_ANSWERS["team"], "email": EXTREME_ANSWERS["team_email"]}
    ]
    assert pyproject["project"]["requires-python"] == ">=3.12"
    assert pyproject["tool"]["mypy"]["python_version"] == "3.12"
    assert pyproject["tool"]["ruff"]["target-version"] == "py312"
    assert (extreme_project / ".python-version").read_text("utf-8") == "3.12\n"
    assert (extreme_project / "src" / package / "main.py").is_file()
    routes = extreme_project / "src" / package / "api" / "routes"
    assert sorted(path.name for path in routes.glob("*.py")) == [
        "__init__.py",
        "audit.py",
        "line_item_allocation_xy.py",
    ]
    assert f"{package.upper()}_DATABASE_URL" in (extreme_project / ".env.example").read_text()


def test_every_dependency_is_pinned_from_the_version_table(default_project: Path) -> None:
    pyproject = tomllib.loads((default_project / "pyproject.toml").read_text("utf-8"))
    requirements = [
        *pyproject["project"]["dependencies"],
        *pyproject["dependency-groups"]["dev"],
        *pyproject["build-system"]["requires"],
    ]

    pinned = {}
    for requirement in requirements:
        match = re.fullmatch(r"([a-z0-9_-]+)(\[[a-z,]+\])?==([0-9][0-9a-z.]*)", requirement)
        assert match, f"not pinned exactly: {requirement}"
        pinned[match[1]] = match[3]
    # The embedded defaults: SQLite and the memory cache, so no asyncpg and no redis.
    assert pinned == {k: v for k, v in versions.ALL.items() if k not in {"asyncpg", "redis"}}


def test_the_backends_bring_exactly_their_own_dependencies_and_files(
    postgres_redis_project: Path, default_project: Path
) -> None:
    pyproject = tomllib.loads((postgres_redis_project / "pyproject.toml").read_text("utf-8"))
    names = {re.split(r"[\[=]", r)[0] for r in pyproject["project"]["dependencies"]}
    files = set(project_files(postgres_redis_project))

    assert {"asyncpg", "redis", "alembic"} <= names
    assert "aiosqlite" not in names
    assert files - EXPECTED_FILES == {
        "deploy/compose/create-app-roles.sh",
        "src/task_service/infrastructure/realtime.py",
        "tests/infrastructure/test_realtime_redis.py",
        "tests/infrastructure/test_row_level_security.py",
    }
    assert EXPECTED_FILES - files == set()
    assert not (default_project / "tests/infrastructure/test_row_level_security.py").exists()
    migration = (
        postgres_redis_project / "src/task_service/infrastructure/migrations/versions/task.py"
    ).read_text("utf-8")
    assert 'ALTER TABLE "tasks" FORCE ROW LEVEL SECURITY' in migration
    assert "current_setting('app.tenant_id', true)" in migration
    default_migration = (
        default_project / "src/task_service/infrastructure/migrations/versions/task.py"
    ).read_text("utf-8")
    assert "ROW LEVEL SECURITY" not in default_migration


def test_revision_ids_come_from_content_and_chain_in_entity_order(
    three_entities_project: Path,
) -> None:
    versions_dir = three_entities_project / "src/task_service/infrastructure/migrations/versions"
    answers = yaml.safe_load((three_entities_project / ".copier-answers.yml").read_text("utf-8"))
    chain = Model.from_answer(answers["entities"]).migrations("sqlite")

    assert [m.entity.module for m in chain] == ["order", "line_item", "group"]
    assert chain[0].down_revision is None
    for previous, current in itertools.pairwise(chain):
        assert current.down_revision == previous.revision
    for migration in chain:
        text = (versions_dir / f"{migration.entity.module}.py").read_text("utf-8")
        assert f'revision: str = "{migration.revision}"' in text
        expected = f'"{migration.down_revision}"' if migration.down_revision else "None"
        assert f"down_revision: str | None = {expected}" in text
    assert len({m.revision for m in chain}) == 3


def test_the_answers_file_keeps_the_order_of_fields_and_states(default_project: Path) -> None:
    answers = yaml.safe_load((default_project / ".copier-answers.yml").read_text("utf-8"))
    [task] = answers["entities"]

    assert list(task["fields"]) == ["title", "description", "due_date", "assignee_id"]
    assert list(task["workflow"]["transitions"]) == ["todo", "in_progress", "done", "cancelled"]


def test_no_lock_file_is_rendered(default_project: Path) -> None:
    assert not (default_project / "uv.lock").exists()


def test_no_bytecode_is_ever_rendered(copie: Copie, template_dir: Path, tmp_path: Path) -> None:
    # pip byte-compiles the template's .py files when it installs the wheel; a local run
    # of the template's own files leaves caches too. Neither may reach a service.
    template = tmp_path / "installed-template"
    shutil.copytree(template_dir, template)
    for folder in (template / "template", *sorted((template / "template").glob("**/tests"))):
        (folder / "__pycache__").mkdir(exist_ok=True)
        (folder / "__pycache__" / "conftest.cpython-311.pyc").write_bytes(b"\x00junk")
    (template / "template" / "stray.pyc").write_bytes(b"\x00junk")

    project = render_with(copie, template, {})

    assert [path for path in project.rglob("*") if "__pycache__" in path.parts] == []
    assert list(project.rglob("*.py[cod]")) == []


def test_a_workflow_with_one_move_formats_clean(copie: Copie, template_dir: Path) -> None:
    entities = "- name: Ticket\n  fields: {title: str}\n  workflow:\n    initial: open\n"
    entities += "    transitions: {open: [closed], closed: []}\n"
    project = render_with(copie, template_dir, {"entities": entities})
    domain = project / "src" / "task_service" / "domain" / "ticket.py"

    assert 'MOVES: Final = (("open", "closed"),)\n' in domain.read_text("utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", str(domain)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_renders_are_byte_identical_across_folders_and_time(
    copie: Copie, template_dir: Path
) -> None:
    first = render_with(copie, template_dir, EXTREME_ANSWERS)
    time.sleep(1.1)  # a timestamp in any file would now differ
    second = render_with(copie, template_dir, EXTREME_ANSWERS)

    assert first != second
    assert project_files(first) == project_files(second)
    modes = {path.relative_to(first): path.stat().st_mode for path in first.rglob("*")}
    assert modes == {path.relative_to(second): path.stat().st_mode for path in second.rglob("*")}


def test_the_same_answers_give_the_same_bytes_however_they_were_given(
    copie: Copie, template_dir: Path, default_project: Path
) -> None:
    explicit = render_with(
        copie, template_dir, {"cache": "memory", "database": "sqlite", "python_version": "3.13"}
    )

    assert project_files(explicit) == project_files(default_project)


def test_released_revisions_never_move(three_entities_project: Path) -> None:
    """The revisions a three-entity service applied to its database, hashed at 0.3.0.

    Deployed databases know these files by their revision ids: a change to one strands
    every service that applied it, so no release may change a byte of them. The other
    files may change between releases (a version bump in ``generator/versions.py`` moves
    ``pyproject.toml``); each release renders as itself (``tests/test_releases.py``).
    ``python -m tests.golden`` writes the file for a *new* answer set only.
    """
    digests = revision_digests(three_entities_project)
    assert released(digests, GOLDEN_REVISIONS) == read_digests(GOLDEN_REVISIONS)


def test_the_entities_document_has_a_deterministic_er_diagram(
    copie_session: Copie, template_dir: Path, three_entities_project: Path
) -> None:
    """The diagram lists every entity and column, and renders the same bytes twice."""
    document = (three_entities_project / ENTITIES_DOCUMENT).read_text(encoding="utf-8")
    again = render_with(
        copie_session, template_dir, {"entities": yaml.safe_dump(THREE_ENTITIES, sort_keys=False)}
    )

    assert (again / ENTITIES_DOCUMENT).read_text(encoding="utf-8") == document
    diagram = document.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert diagram.startswith("erDiagram\n")
    for entity in THREE_ENTITIES:
        assert f"    {entity['name']} {{\n        uuid id PK\n" in diagram
        for field in entity["fields"]:
            assert re.search(rf"\n        [a-z]+ {field}[ \n]", diagram), field


def test_a_version_bump_changes_the_pins_and_no_released_revision(
    copie: Copie, template_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's "one-line change": a pin moved in generator/versions.py renders into the
    # project's pins, and the golden files (released revisions) still hold.
    monkeypatch.setattr(versions, "ALL", {**versions.ALL, "fastapi": "9.9.9"})
    # Jinja folds a filter of constants into the compiled template, so cached templates
    # hold the pins of the code they were compiled with: its sources, not this patch.
    monkeypatch.setenv(render_cache.NO_CACHE_VARIABLE, "1")
    project = render_with(
        copie, template_dir, {"entities": yaml.safe_dump(THREE_ENTITIES, sort_keys=False)}
    )

    assert '"fastapi==9.9.9"' in (project / "pyproject.toml").read_text("utf-8")
    assert released(revision_digests(project), GOLDEN_REVISIONS) == read_digests(GOLDEN_REVISIONS)


def test_the_golden_script_reproduces_the_golden_file_and_never_rewrites_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entities = tmp_path / "three.yml"
    entities.write_text(yaml.safe_dump(THREE_ENTITIES, sort_keys=False), "utf-8")
    monkeypatch.setattr(golden_script, "GOLDEN", tmp_path)

    assert golden_script.main(["three_entity", str(entities)]) == 0
    written = tmp_path / "three_entity_revisions.sha256"
    assert released(read_digests(written), GOLDEN_REVISIONS) == read_digests(GOLDEN_REVISIONS)
    assert golden_script.main(["three_entity", str(entities)]) == 1
