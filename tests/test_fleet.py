"""The fleet update's checks step, on a real git repository with a stand-in for the checks.

The real checks (uv sync, the service's export, ruff, mypy, pytest) run in the matrix; here
a stand-in writes the document the way the service's export would, or does not.
"""

from pathlib import Path

import pytest

from generator.fleet import _checks
from generator.validate import OPENAPI_DOCUMENT, Report
from tests.conftest import commit_everything, git

BRANCH = "blueprint/update-v9.9.9"


@pytest.fixture
def service(tmp_path: Path, git_identity: None) -> Path:
    """A service with an update branch, and its working tree back on main."""
    path = tmp_path / "service"
    (path / "docs").mkdir(parents=True)
    (path / OPENAPI_DOCUMENT).write_text('{"openapi": "old"}\n', "utf-8")
    commit_everything(path, "rendered")
    git(path, "switch", "--quiet", "--create", BRANCH)
    (path / "README.md").write_text("# Updated by the template\n", "utf-8")
    commit_everything(path, "update")
    git(path, "switch", "--quiet", "main")
    return path


def test_a_document_the_checks_rewrote_is_committed_on_the_update_branch(
    service: Path,
) -> None:
    def checks(worktree: Path) -> Report:
        (worktree / OPENAPI_DOCUMENT).write_text('{"openapi": "new"}\n', "utf-8")
        return Report(worktree, ())

    _checks(service, BRANCH, checks)

    assert git(service, "log", "-1", "--format=%s", BRANCH).strip() == (
        f"Regenerate {OPENAPI_DOCUMENT}"
    )
    assert git(service, "show", f"{BRANCH}:{OPENAPI_DOCUMENT}") == '{"openapi": "new"}\n'
    # The service's own tree stays on its branch, untouched, and the worktree is gone.
    assert (service / OPENAPI_DOCUMENT).read_text("utf-8") == '{"openapi": "old"}\n'
    assert git(service, "worktree", "list").count("\n") == 1


def test_an_unchanged_document_adds_no_commit(service: Path) -> None:
    before = git(service, "rev-parse", BRANCH)

    _checks(service, BRANCH, lambda worktree: Report(worktree, ()))

    assert git(service, "rev-parse", BRANCH) == before
