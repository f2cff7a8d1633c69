"""A service's data model changes through thirteen updates, on a live database with rows.

The service starts as the previous release rendered the first snapshot; each step renders
the next snapshot of the schema history over it with this release, as the new side of an
update does, and then, on the real database: every earlier revision file is
byte-identical, ``alembic upgrade head`` runs, rows are kept (renamed and back-filled
values checked), ``alembic check`` finds no drift, one step down and up again works, and
on PostgreSQL a role under row-level security still sees only its tenant's rows. The
service at the end passes its own checks.
"""

import json
import os
import shutil
import subprocess
import textwrap
import uuid
from pathlib import Path
from typing import Any

import copier
import pytest

from generator.schema import last_snapshot, live
from generator.validate import checks_environment, validate_project
from tests.conftest import POSTGRES_URL, RELEASES, cell_environment, require_server

TASK = "Task"
#: The history, one snapshot per update; markers say what the difference cannot.
SNAPSHOTS: list[list[dict[str, Any]]] = [
    [
        {
            "name": TASK,
            "fields": {
                "title": {"type": "str", "max_length": 200},
                "due": "date?",
                "points": "int?",
            },
        }
    ],
]


def _next(change: dict[str, Any], **entity: object) -> None:
    """Append the last snapshot with its Task fields updated by ``change`` (and its other
    keys by ``entity``)."""
    entities: list[dict[str, Any]] = live(SNAPSHOTS[-1])  # type: ignore[assignment]
    task = next(index for index, entity in enumerate(entities) if entity["name"] == TASK)
    fields = dict(entities[task]["fields"])
    for name, spec in change.items():
        if spec is None:
            fields.pop(name)
        else:
            fields[name] = spec
    entities[task] = {**entities[task], "fields": fields, **entity}
    SNAPSHOTS.append(entities)


# 1: a field with a default (back-filled) and a nullable one.
_next({"priority": {"type": "int", "default": 3}, "notes": "text?"})
# 2: a rename; the data stays.
_next({"title": None, "name": {"type": "str", "max_length": 200, "renamed_from": "title"}})
# 3: an explicit removal.
_next({"due": {"removed": True}})
# 4: constraints: a shorter max_length, bounds (a CHECK), a new unique field.
_next(
    {
        "name": {"type": "str", "max_length": 120},
        "points": {"type": "int?", "min": 0, "max": 100},
        "code": {"type": "str?", "max_length": 12, "unique": True},
    }
)
# 5: an enum with a default, and a workflow: the rows start in its initial state.
_next(
    {"level": {"enum": ["low", "high"], "default": "low"}},
    workflow={"initial": "open", "transitions": {"open": ["done"], "done": ["open"]}},
)
# 6: one more enum value.
_next({"level": {"enum": ["low", "mid", "high"], "default": "low"}})
# 7: a new entity that belongs to Task.
SNAPSHOTS.append(
    [
        *live(SNAPSHOTS[-1]),  # type: ignore[misc]
        {
            "name": "Note",
            "fields": {"body": "text", "task": {"belongs_to": "Task?", "on_delete": "cascade"}},
        },
    ]
)
# 8: a nullable field becomes required; its default fills the rows without a value.
_next({"points": {"type": "int", "min": 0, "max": 100, "default": 0}})
# 9: unique no more, a relation added to an existing entity, the workflow's field renamed
# (the states kept) and a state added.
_next(
    {
        "code": {"type": "str?", "max_length": 12},
        "parent": {"belongs_to": "Task?", "on_delete": "set_null"},
    },
    workflow={
        "field": "stage",
        "renamed_from": "status",
        "initial": "open",
        "transitions": {"open": ["done"], "done": ["open", "archived"], "archived": []},
    },
)

# 10: a new entity, and two many-to-many relations from an existing one (one to itself).
_next({"tags": {"many": "Tag"}, "blocks": {"many": TASK}})
SNAPSHOTS[-1].insert(0, {"name": "Tag", "fields": {"label": "str"}})
# 11: an entity removed, explicitly: its table and rows are dropped.
SNAPSHOTS.append(
    [{"name": "Note", "removed": True} if e["name"] == "Note" else e for e in live(SNAPSHOTS[-1])]  # type: ignore[attr-defined]
)
# 12: the entity renamed (its table, constraints and indexes; the rows stay; its association
# tables move with their links), with a new field; relations to it name the new one.
_next(
    {
        "summary": "text?",
        "parent": {"belongs_to": "Ticket?", "on_delete": "set_null"},
        "blocks": {"many": "Ticket"},
    }
)
SNAPSHOTS[-1] = [
    {**entity, "name": "Ticket", "renamed_from": TASK} if entity["name"] == TASK else entity
    for entity in SNAPSHOTS[-1]
]
# 13: the many-to-many relations and the workflow removed, explicitly.
SNAPSHOTS.append(
    [
        {
            **e,
            "fields": {**e["fields"], "tags": {"removed": True}, "blocks": {"removed": True}},
            "workflow": {"removed": True},
        }
        if e["name"] == "Ticket"
        else e
        for e in live(SNAPSHOTS[-1])  # type: ignore[attr-defined]
    ]
)

#: The step whose links the walk makes (after its step down and up, which drops them).
LINKED = 10
#: The step from which the tasks table is the tickets table.
RENAMED = 12
#: Per step, SQL over the tasks (every tenant) and the rows it must give, sorted.
EXPECTED: dict[int, tuple[str, list[list[object]]]] = {
    0: (
        "SELECT tenant_id, title FROM tasks",
        [["acme", "first"], ["acme", "second"], ["globex", "third"]],
    ),
    # The first update also brings 0.8.0's template steps: every row at version 1.
    1: (
        "SELECT title, priority, notes, version FROM tasks",
        [["first", 3, None, 1], ["second", 3, None, 1], ["third", 3, None, 1]],
    ),
    2: ("SELECT name, priority FROM tasks", [["first", 3], ["second", 3], ["third", 3]]),
    5: (
        "SELECT name, level, status FROM tasks",
        [["first", "low", "open"], ["second", "low", "open"], ["third", "low", "open"]],
    ),
    8: ("SELECT name, points FROM tasks", [["first", 0], ["second", 0], ["third", 7]]),
    9: (
        "SELECT name, stage FROM tasks",
        [["first", "open"], ["second", "open"], ["third", "open"]],
    ),
    # The links moved with the association tables (and back and forth again).
    12: (
        "SELECT k.tenant_id, k.name, g.label, b.name FROM tickets k "
        "JOIN ticket_tags l ON l.tenant_id = k.tenant_id AND l.ticket_id = k.id "
        "JOIN tags g ON g.id = l.tag_id "
        "JOIN ticket_blocks o ON o.tenant_id = k.tenant_id AND o.ticket_id = k.id "
        "JOIN tickets b ON b.id = o.block_id",
        [["acme", "first", "urgent", "second"], ["globex", "third", "later", "third"]],
    ),
    13: (
        "SELECT tenant_id, name, summary, version FROM tickets",
        [["acme", "first", None, 1], ["acme", "second", None, 1], ["globex", "third", None, 1]],
    ),
}
ROWS = [("acme", "first", None), ("acme", "second", None), ("globex", "third", 7)]

#: Runs inside the rendered service's environment: Alembic and SQL on its database.
SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from task_service.config import load_settings
    from task_service.infrastructure.database import alembic_config

    action, argument = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""

    async def sql(statements, **options):
        engine = create_async_engine(load_settings().database_url, **options)
        found = []
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    result = await connection.execute(text(statement))
                    found = [list(row) for row in result] if result.returns_rows else found
        finally:
            await engine.dispose()
        return found

    if action == "alembic":
        for step in argument.split(","):
            name, _, target = step.partition(":")
            getattr(command, name)(alembic_config(), *([target] if target else []))
    elif action == "admin":
        asyncio.run(sql(json.loads(argument), isolation_level="AUTOCOMMIT"))
    else:
        print(json.dumps(asyncio.run(sql(json.loads(argument))), default=str))
    """
)


def recorded(step: int) -> list[Any]:
    """The ``schema_history`` after update ``step``: the service took this release (and its
    template step) with its first update, as the release's answer migration records it."""
    steps = [{"template": "row_versions"}, {"template": "idempotency_keys"}]
    return [SNAPSHOTS[0], *steps, *SNAPSHOTS[1 : step + 1]]


def _render(
    template: Path,
    project: Path,
    history: list[Any],
    database: str,
    vcs_ref: str | None = None,
) -> None:
    """Make ``project`` the render of ``history``, as an update makes an untouched service.

    Files the new render no longer has (a removed entity's modules) are deleted; the
    environment and the database stay.
    """
    fresh = project.with_name(f"render-{len(history)}")
    copier.run_copy(
        str(template),
        fresh,
        data={
            "entities": live(last_snapshot(history)),
            "schema_history": history,
            "database": database,
        },
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=vcs_ref,
    )
    kept = {".venv", "uv.lock"}
    for path in sorted(project.rglob("*"), reverse=True) if project.exists() else []:
        relative = path.relative_to(project)
        if relative.parts[0] in kept or path.suffix == ".db":
            continue
        if path.is_file() and not (fresh / relative).exists():
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    shutil.copytree(fresh, project, dirs_exist_ok=True)


def _attempt(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project / ".venv/bin/python"), "-c", SCRIPT, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _run(project: Path, env: dict[str, str], *args: str) -> str:
    completed = _attempt(project, env, *args)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def _versions(project: Path) -> dict[str, bytes]:
    folder = project / "src/task_service/infrastructure/migrations/versions"
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.py"))}


def _insert(database: str) -> list[str]:
    statements = []
    for tenant, title, points in ROWS:
        key = uuid.uuid4().hex
        statements.append(
            "INSERT INTO tasks (id, tenant_id, created_by, created_at, updated_at, title, points) "  # noqa: S608 - the test's own constants
            f"VALUES ('{key}', '{tenant}', 'walker', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
            f"'{title}', {'NULL' if points is None else points})"
        )
    return statements


def _links() -> list[str]:
    """A tag per tenant, linked to its first task; acme's first task blocks its second,
    globex's third blocks itself."""
    statements = []
    for tenant, label, task, blocked in (
        ("acme", "urgent", "first", "second"),
        ("globex", "later", "third", "third"),
    ):
        key = uuid.uuid4().hex
        find = f"SELECT id FROM tasks WHERE tenant_id = '{tenant}' AND name = "  # noqa: S608 - constants
        statements += [
            "INSERT INTO tags (id, tenant_id, created_by, created_at, updated_at, label) "  # noqa: S608 - constants
            f"VALUES ('{key}', '{tenant}', 'walker', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
            f"'{label}')",
            "INSERT INTO task_tags (tenant_id, task_id, tag_id) "  # noqa: S608 - constants
            f"SELECT '{tenant}', ({find}'{task}'), id FROM tags WHERE label = '{label}'",
            "INSERT INTO task_blocks (tenant_id, task_id, block_id) "  # noqa: S608 - constants
            f"SELECT '{tenant}', ({find}'{task}'), id FROM tasks WHERE name = '{blocked}'",
        ]
    return statements


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_thirteen_updates_keep_every_revision_and_every_row(
    template_dir: Path, tagged_clone: Path, tmp_path: Path, database: str
) -> None:
    env = checks_environment() | {"UV_PYTHON_DOWNLOADS": "never"}
    if database == "postgresql":
        require_server("PostgreSQL", POSTGRES_URL, 5432)
        name = f"walk_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://")
        url = admin.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'walk.db'}"
    env["TASK_SERVICE_DATABASE_URL"] = url
    project = tmp_path / "service"
    # The service starts as the previous release rendered it; the updates bring this one.
    _render(tagged_clone, project, SNAPSHOTS[:1], database, vcs_ref=RELEASES[-1])
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, env=env, check=True)
    if database == "postgresql":
        create = json.dumps([f"CREATE DATABASE {name}"])
        _run(project, env | {"TASK_SERVICE_DATABASE_URL": admin}, "admin", create)
    try:
        _walk(template_dir, project, env, database)
        # The service at the end of the walk passes its own checks, in a clean copy.
        checked = tmp_path / "checked"
        shutil.copytree(project, checked, ignore=shutil.ignore_patterns(".venv", "*.db"))
        report = validate_project(checked, env=cell_environment(f"bp_walk_{database}"))
        assert report.passed, "\n".join(r.output[-3000:] for r in report.results if not r.passed)
    finally:
        if database == "postgresql":
            drop = json.dumps([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
            _run(project, env | {"TASK_SERVICE_DATABASE_URL": admin}, "admin", drop)


def _walk(template: Path, project: Path, env: dict[str, str], database: str) -> None:
    for step in range(len(SNAPSHOTS)):
        before = _versions(project)
        if step:
            _render(template, project, recorded(step), database)
        after = _versions(project)
        assert {name: after.get(name) for name in before} == before, (
            f"step {step} rewrote a revision"
        )
        assert step == 0 or len(after) > len(before), f"step {step} added no revision"
        _run(project, env, "alembic", "upgrade:head,check,downgrade:-1,upgrade:head,check")
        if step == 0:  # rows before the first change (the step down above dropped the table)
            _run(project, env, "sql", json.dumps(_insert(database)))
        if step == LINKED:
            _run(project, env, "sql", json.dumps(_links()))
        if step in EXPECTED:
            query, rows = EXPECTED[step]
            assert sorted(json.loads(_run(project, env, "sql", json.dumps([query])))) == rows, step
        if database == "postgresql":
            _isolated(project, env, "tickets" if step >= RENAMED else "tasks")
            if step == RENAMED:  # the moved association tables are under it too
                _isolated(project, env, "ticket_tags")


def _isolated(project: Path, env: dict[str, str], table: str) -> None:
    """A role without BYPASSRLS, in tenant acme, sees acme's rows only (raw SQL)."""
    statements = [
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'walker') "
        "THEN CREATE ROLE walker NOSUPERUSER NOBYPASSRLS; END IF; END $$",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO walker",
        "SET LOCAL ROLE walker",
        "SELECT set_config('app.tenant_id', 'acme', true)",
        f"SELECT DISTINCT tenant_id FROM {table}",  # noqa: S608 - the test's own names
    ]
    assert json.loads(_run(project, env, "sql", json.dumps(statements))) == [["acme"]]


def test_an_upgrade_the_rows_refuse_names_them_and_changes_nothing(
    template_dir: Path, tmp_path: Path
) -> None:
    """Two revisions in one upgrade, the second refused: the first is rolled back too."""
    env = checks_environment() | {
        "UV_PYTHON_DOWNLOADS": "never",
        "TASK_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
    }
    project = tmp_path / "service"
    # As a first render records it: the first snapshot, then the template's steps.
    history: list[Any] = [
        [{"name": TASK, "fields": {"title": "str"}}],
        {"template": "row_versions"},
        {"template": "idempotency_keys"},
    ]
    _render(template_dir, project, history, "sqlite")
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, env=env, check=True)
    _run(project, env, "alembic", "upgrade:head")
    rows = [
        "INSERT INTO tasks (id, tenant_id, created_by, created_at, updated_at, title) "  # noqa: S608 - constants
        f"VALUES ('{uuid.uuid4().hex}', '{tenant}', 'walker', CURRENT_TIMESTAMP, "
        f"CURRENT_TIMESTAMP, 'same')"
        for tenant in ("acme", "acme", "globex")
    ]
    _run(project, env, "sql", json.dumps(rows))
    before = _run(project, env, "sql", json.dumps(["SELECT version_num FROM alembic_version"]))
    fields = {"title": {"type": "str", "unique": True}, "notes": "text?"}
    history.append([{"name": TASK, "fields": fields}])
    _render(template_dir, project, history, "sqlite")

    refused = _attempt(project, env, "alembic", "upgrade:head")

    assert refused.returncode != 0
    message = refused.stderr.splitlines()[-1]
    assert "tasks.title cannot become unique" in message
    assert "'same' (2 rows)" in message
    assert "Nothing was changed" in message
    # True: the revision before it (the notes column) was rolled back with it.
    columns = json.loads(_run(project, env, "sql", json.dumps(["PRAGMA table_info(tasks)"])))
    assert "notes" not in [column[1] for column in columns]
    assert (
        _run(project, env, "sql", json.dumps(["SELECT version_num FROM alembic_version"])) == before
    )
    # Once the rows allow it, the same upgrade goes through.
    fix = "DELETE FROM tasks WHERE rowid = (SELECT max(rowid) FROM tasks WHERE tenant_id = 'acme')"
    _run(project, env, "sql", json.dumps([fix]))
    _run(project, env, "alembic", "upgrade:head,check")
