"""Shared fixtures: one template snapshot per session, one render per answer set."""

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pytest_copie.plugin import Copie, Result

from generator import releases, render_cache
from generator.validate import Report, checks_environment, validate_project

REPO = Path(__file__).resolve().parents[1]

#: Answers that push every limit at once: the other Python version, the longest package
#: name and slug, and text that needs quoting in TOML, JSON, YAML and Python.
EXTREME_ANSWERS: Mapping[str, str] = {
    "project_name": "Zoë's Orders & Billing (v2)",
    "project_slug": "zoe-orders-and-billing-service-with-a-deliberately-long-slug-x64",
    "package_name": "orders_billing_service_long_name",
    "description": 'Quotes " and \\ backslashes, ünïcödé, {{ braces }} and 100 % — all escaped.',
    "team": "Ops & Billing",
    "team_email": "ops+billing@example.org",
    "python_version": "3.12",
    # Entity, field, state and workflow-field names at their length limits (20), every
    # field type, an ownership field, a many-to-many self-reference (the longest names a
    # link gets), fields named like attributes of SQLAlchemy's ``Row`` (count, index, t),
    # and an entity with one boolean field only.
    "entities": """
- name: LineItemAllocationXy
  fields:
    a_long_required_text: {type: str, max_length: 10000}
    a_long_optional_text: text?
    a_long_decimal_field: decimal?
    a_long_datetime_fiel: datetime
    a_long_uuid_field_xy: uuid?
    flag: bool
    n: int
    count: int?
    index: str?
    t: str?
    ratio: float
    day: date
    responsible_user_xyz: "str?"
    linked_allocation_xy: {many: LineItemAllocationXy}
  workflow:
    field: lifecycle_state_xyza
    initial: awaiting_review_xyza
    transitions:
      awaiting_review_xyza: [approved_by_board_xy, rejected_with_remark]
      approved_by_board_xy: [rejected_with_remark]
      rejected_with_remark: []
  ownership: [responsible_user_xyz]
- name: Audit
  fields:
    happened: bool
""",
}


#: Three entities at once: one named after an SQL reserved word with its own workflow
#: field, one using every field type (and ownership), one without a workflow.
THREE_ENTITIES: list[dict[str, Any]] = yaml.safe_load(
    """
- name: Order
  fields:
    reference: {type: str, max_length: 32}
    total: decimal
    placed_on: date
    note: text?
  workflow:
    field: state
    initial: pending
    transitions:
      pending: [paid, cancelled]
      paid: [shipped, cancelled]
      shipped: []
      cancelled: []
- name: LineItem
  fields:
    sku: {type: str, max_length: 40}
    description: text
    quantity: int
    weight_kg: float?
    unit_price: decimal
    gift: bool
    ship_by: date?
    reserved_at: datetime?
    product_id: uuid
    due_at: datetime
    batch: uuid?
    price_cap: decimal?
    count_hint: int?
    fragile: bool?
    owner_id: str?
  ownership: [owner_id]
- name: Group
  fields:
    label: str
"""
)


@pytest.fixture(scope="session", autouse=True)
def template_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Compiled templates go to a folder of the session's, never to the user's cache."""
    folder = tmp_path_factory.mktemp("template-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(render_cache.CACHE_DIR_VARIABLE, str(folder))
        patch.delenv(render_cache.NO_CACHE_VARIABLE, raising=False)
        yield folder


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as the wheel ships it: copier.yml and template/, outside git.

    Rendering from a plain folder keeps ``.copier-answers.yml`` free of a ``_commit``
    that, in a checkout with uncommitted changes, Copier would make up anew each time.
    """
    snapshot = tmp_path_factory.mktemp("template")
    shutil.copy2(REPO / "copier.yml", snapshot / "copier.yml")
    shutil.copytree(REPO / "template", snapshot / "template")
    return snapshot


def render_with(copie: Copie, template_dir: Path, answers: Mapping[str, object]) -> Path:
    """Render ``answers`` with pytest-copie and return the project, failing loudly."""
    result: Result = copie.copy(extra_answers=dict(answers), template_dir=template_dir)
    assert result.exception is None, result.exception
    assert result.project_dir is not None
    return result.project_dir


@pytest.fixture(scope="session")
def default_project(copie_session: Copie, template_dir: Path) -> Path:
    """The default answers, rendered once per session (per xdist group)."""
    return render_with(copie_session, template_dir, {})


@pytest.fixture(scope="session")
def extreme_project(copie_session: Copie, template_dir: Path) -> Path:
    """The limit-pushing answers, rendered once per session (per xdist group)."""
    return render_with(copie_session, template_dir, EXTREME_ANSWERS)


#: Every constraint, enums (one nullable), defaults, unique fields (one nullable), list
#: filters and sort keys, and relations: a required many-to-one with cascade, an optional
#: self-reference with set_null, a chain (Note -> Task -> Project) with restrict, and two
#: many-to-many relations (Task.tags to Tag, whose label is unique; Task.related to Task).
CONSTRAINED_ENTITIES: list[dict[str, Any]] = yaml.safe_load(
    """
- name: Project
  fields:
    code: {type: str, max_length: 12, pattern: "[A-Z]+-[0-9]+", examples: [ACME-1, ACME-2],
           unique: true}
    name: {type: str, min_length: 3, max_length: 80}
    budget: {type: "decimal?", min: 0, max: 1000000}
    active: {type: bool, default: true}
    starts_on: {type: "date?", min: 2020-01-01, unique: true}
  list: {filter: [active], sort: [code, name, starts_on]}
- name: Tag
  fields:
    label: {type: str, max_length: 40, unique: true}
- name: Task
  fields:
    title: {type: str, min_length: 3, max_length: 200}
    priority: {enum: [low, medium, high], default: medium}
    kind: {enum: [bug, feature], type: "enum?"}
    estimate: {type: "int?", min: 1, max: 100}
    ratio: {type: "float?", min: 0, max: 1}
    due_at: {type: "datetime?", max: "2100-01-01T00:00:00Z"}
    ticket: {type: "int?", min: -5}
    notes: {type: "text?", min_length: 2}
    project: {belongs_to: Project, on_delete: cascade}
    parent: {belongs_to: "Task?", on_delete: set_null}
    tags: {many: Tag}
    related: {many: Task}
  workflow:
    initial: todo
    transitions: {todo: [done, cancelled], done: [], cancelled: []}
  list: {filter: [priority, kind], sort: [title, priority, estimate, ratio, due_at, updated_at]}
- name: Note
  fields:
    body: {type: text, min_length: 2}
    task: {belongs_to: Task}
"""
)


@pytest.fixture(scope="session")
def three_entities_project(copie_session: Copie, template_dir: Path) -> Path:
    """Three entities at once, rendered once per session (per xdist group)."""
    entities = yaml.safe_dump(THREE_ENTITIES, sort_keys=False)
    return render_with(copie_session, template_dir, {"entities": entities})


#: The servers the rendered projects' tests use; each cell names its own database and
#: Redis keys after TEST_NAMESPACE, so cells run in parallel on one server.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_server(name: str, url: str, default_port: int) -> None:
    """Skip the test if the server is down; under ``CI=true``, fail it."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError as error:
        reason = f"{name} is not reachable at {address[0]}:{address[1]} ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI needs it", pytrace=False)
        pytest.skip(reason)


def cell_environment(namespace: str) -> dict[str, str]:
    """The checks' environment for one rendered project: its namespace and the servers."""
    return checks_environment() | {
        "TEST_NAMESPACE": namespace,
        "TEST_POSTGRES_URL": POSTGRES_URL,
        "TEST_REDIS_URL": REDIS_URL,
        "CI": "true",  # a server the project cannot reach fails its tests, never skips them
    }


#: The production backends: PostgreSQL with row-level security and the Redis cache.
POSTGRES_REDIS: Mapping[str, str] = {"database": "postgresql", "cache": "redis"}
#: The non-default delivery choices together: no event stream, GitLab CI, Kubernetes.
DELIVERY_VARIANT: Mapping[str, object] = {
    "database": "postgresql",
    "cache": "memory",
    "realtime": False,
    "ci": "gitlab",
    "kubernetes": True,
}


@pytest.fixture(scope="session")
def postgres_redis_project(copie_session: Copie, template_dir: Path) -> Path:
    """The default entity on PostgreSQL and Redis, rendered once per session."""
    return render_with(copie_session, template_dir, POSTGRES_REDIS)


@pytest.fixture(scope="session")
def delivery_variant_project(copie_session: Copie, template_dir: Path) -> Path:
    """PostgreSQL, memory cache, no realtime, GitLab CI and Kubernetes, rendered once."""
    return render_with(copie_session, template_dir, DELIVERY_VARIANT)


#: A git identity for the commits tests make (the machine may have none configured).
GIT_IDENTITY: Mapping[str, str] = {
    "GIT_AUTHOR_NAME": "Blueprint Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Blueprint Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}
#: Notes a team appends to its README by hand; updates must keep them.
HAND_EDIT = "\n## Team notes\n\nOn call: the orders team. Written by hand, kept by updates.\n"


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give the test's git commits an author and a committer."""
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; return what it printed."""
    completed = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return completed.stdout


def project_files(project: Path) -> dict[str, bytes]:
    """Every file of a project (its ``.git`` aside) and its bytes, by relative path."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def commit_everything(repository: Path, message: str, tag: str | None = None) -> None:
    """Make ``repository`` a git repository if it is not one, commit all of it, tag it."""
    if not (repository / ".git").exists():
        git(repository, "init", "--quiet", "--initial-branch=main")
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "-m", message)
    if tag is not None:
        git(repository, "tag", tag)


ValidatedCopy = Callable[[Path], Report]


@pytest.fixture(scope="session")
def validated_copy(tmp_path_factory: pytest.TempPathFactory) -> ValidatedCopy:
    """Copy a rendered project to a fresh folder and run its own checks there.

    The copy keeps the shared render untouched by ``uv sync`` and the tools' caches;
    each copy still installs from its own ``pyproject.toml`` (uv's download cache is
    shared, the environment is not).
    """

    def run(project: Path) -> Report:
        target = tmp_path_factory.mktemp("validated") / project.name
        shutil.copytree(project, target)
        return validate_project(target)

    return run


#: The releases so far; a new release adds its line (a test of the releases says so).
RELEASES = ["v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0", "v0.5.0", "v0.6.0", "v0.7.0"]


@pytest.fixture(scope="session")
def tagged_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository with its release tags recreated by the script."""
    clone = tmp_path_factory.mktemp("releases") / "service-blueprint"
    subprocess.run(["git", "clone", "--quiet", "--no-tags", str(REPO), str(clone)], check=True)
    made, problems = releases.tag_releases(clone)
    assert problems == []
    assert len(made) >= len(RELEASES), "the release history is missing: a full clone is needed"
    assert [release.tag for release in made] == [r.tag for r in releases.releases(clone)]
    return clone


_RENDER_RELEASE = """
import sys, json, copier
source, ref, destination, data = sys.argv[1:5]
copier.run_copy(source, destination, vcs_ref=ref, data=json.loads(data), defaults=True,
                unsafe=True, quiet=True)
"""


def render_release(
    clone: Path, tag: str, answers: Mapping[str, Any], destination: Path, *, own_code: bool
) -> dict[str, bytes]:
    """Render ``tag`` of ``clone`` in a fresh interpreter; return the project's files.

    ``own_code``: the release's own ``generator`` package first on the path (a worktree of
    its tag); otherwise the installed one renders it.
    """
    environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONPATH", None)
    if own_code:
        worktree = destination.parent / f"{destination.name}-code"
        git(clone, "worktree", "add", "--quiet", "--detach", str(worktree), tag)
        environment["PYTHONPATH"] = str(worktree)
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _RENDER_RELEASE,
            str(clone),
            tag,
            str(destination),
            json.dumps(answers),
        ],
        cwd=destination.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return project_files(destination)
