"""``copier update`` on a rendered project that people have edited since."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from uv import find_uv_bin

from generator.lifecycle import record_entities
from generator.validate import Report, checks_environment, validate_project
from tests.conftest import HAND_EDIT, commit_everything, git

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("update")]

#: Appended by ``copier update``, with the entity keys of the second part: a unique
#: patterned code, an enum, list sort keys, and a required relation to the existing Task.
PROJECT_ENTITY = {
    "name": "Project",
    "fields": {
        "title": {"type": "str", "max_length": 120},
        "budget": "decimal?",
        "code": {
            "type": "str",
            "max_length": 12,
            "pattern": "[A-Z]+-[0-9]+",
            "examples": ["ACME-1", "ACME-2"],
            "unique": True,
        },
        "stage": {"enum": ["draft", "live"], "default": "draft"},
        "origin": {"belongs_to": "Task", "on_delete": "cascade"},
        "members": {"many": "Task"},
    },
    "list": {"filter": ["stage"], "sort": ["title"]},
}


def migrate(project: Path, env: dict[str, str]) -> str:
    """Run the project's own ``migrate`` command in its own environment."""
    completed = subprocess.run(
        [find_uv_bin(), "run", "python", "-m", "task_service", "migrate"],
        cwd=project,
        env=checks_environment() | env,
        check=True,
        capture_output=True,
        text=True,
    )
    return completed.stdout


@pytest.fixture
def tagged_template(template_dir: Path, tmp_path: Path) -> Path:
    """The template as a git repository with a release tag, as Copier updates need."""
    repository = tmp_path / "template-repo"
    shutil.copytree(template_dir, repository)
    commit_everything(repository, "template", tag="v0.1.0")
    return repository


@pytest.mark.usefixtures("git_identity")
def test_adding_an_entity_keeps_hand_edits_and_stays_green(
    tagged_template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "service"
    copier.run_copy(
        str(tagged_template), project, defaults=True, unsafe=True, quiet=True, vcs_ref="v0.1.0"
    )
    commit_everything(project, "rendered")
    readme = project / "README.md"
    readme.write_text(readme.read_text("utf-8") + HAND_EDIT, "utf-8")
    git(project, "commit", "--quiet", "-am", "hand edit")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    entities = [*answers["entities"], PROJECT_ENTITY]
    task_module = project / "src" / "task_service" / "domain" / "task.py"
    task_before = task_module.read_text("utf-8")
    versions_dir = project / "src" / "task_service" / "infrastructure" / "migrations" / "versions"
    task_migration = (versions_dir / "task.py").read_text("utf-8")
    # A database in service before the update, at the old head.
    database = {"TASK_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"}
    assert "newest migration" in migrate(project, database)
    with sqlite3.connect(tmp_path / "live.db") as connection:
        [(old_head,)] = connection.execute("SELECT version_num FROM alembic_version")
    git(project, "add", "uv.lock")  # as the rendered README asks
    git(project, "commit", "--quiet", "-m", "lock")

    # The answers `blueprint update -d entities=...` gives Copier: the entities and their
    # snapshot in schema_history (plain `copier update -d entities=...` is refused).
    copier.run_update(
        project,
        data=record_entities(project, {"entities": yaml.safe_dump(entities, sort_keys=False)}),
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
        conflict="inline",
    )

    package = project / "src" / "task_service"
    for layer in ("domain", "application", "api/routes", "api/schemas"):
        assert (package / layer / "project.py").is_file(), layer
    assert (package / "infrastructure" / "repositories" / "project.py").is_file()
    assert "project.router" in (package / "api" / "routes" / "__init__.py").read_text("utf-8")
    assert readme.read_text("utf-8").endswith(HAND_EDIT)
    # The answers file keeps the order of fields and states: nothing of Task churns.
    assert task_module.read_text("utf-8") == task_before
    assert "<<<<<<<" not in git(project, "diff")
    assert not list(project.rglob("*.rej"))
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert [entity["name"] for entity in recorded["entities"]] == ["Task", "Project"]
    # The new entity's revision chains onto the database's head; the old ones are untouched.
    assert (versions_dir / "task.py").read_text("utf-8") == task_migration
    project_migration = (versions_dir / "project.py").read_text("utf-8")
    assert f'down_revision: str | None = "{old_head}"' in project_migration
    # Upgrading the live database applies only the new revision.
    migrate(project, database)
    with sqlite3.connect(tmp_path / "live.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        [(version,)] = connection.execute("SELECT version_num FROM alembic_version")
    assert {"tasks", "projects"} <= tables
    assert_new_schema(tmp_path / "live.db")
    assert f'revision: str = "{version}"' in project_migration
    report: Report = validate_project(project)
    assert report.passed, "\n".join(r.output[-2000:] for r in report.results if not r.passed)


def assert_new_schema(live: Path) -> None:
    """The new entity's table, its keys, and its association table, in the live database."""
    with sqlite3.connect(live) as connection:
        [(schema,)] = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'projects'")
    assert "CONSTRAINT uq_projects_code UNIQUE (tenant_id, code)" in schema
    assert "CONSTRAINT ck_projects_stage CHECK" in schema
    # The relation's composite key, and the (tenant_id, id) key of Task it refers to,
    # created by the new revision: the old one stays as it was.
    assert (
        "CONSTRAINT fk_projects_origin_id FOREIGN KEY(tenant_id, origin_id) "
        "REFERENCES tasks (tenant_id, id) ON DELETE CASCADE"
    ) in schema
    with sqlite3.connect(live) as connection:
        [(index,)] = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ux_tasks_tenant_id_id'"
        )
    assert index == "CREATE UNIQUE INDEX ux_tasks_tenant_id_id ON tasks (tenant_id, id)"
    # The many-to-many relation's association table, created by the same new revision.
    with sqlite3.connect(live) as connection:
        [(links,)] = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'project_members'"
        )
    assert (
        "CONSTRAINT fk_project_members_owner FOREIGN KEY(tenant_id, project_id) "
        "REFERENCES projects (tenant_id, id) ON DELETE CASCADE"
    ) in links
    assert (
        "CONSTRAINT fk_project_members_target FOREIGN KEY(tenant_id, member_id) "
        "REFERENCES tasks (tenant_id, id) ON DELETE CASCADE"
    ) in links
