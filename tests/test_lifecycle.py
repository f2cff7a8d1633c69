"""Updating services across template versions, checking them, and the fleet commands.

The tests build a throwaway git repository of the template with two tagged releases: v0.1.0
is the current tree; v0.2.0 changes a line of the README, adds a file and extends the
.gitignore. Services are rendered at v0.1.0, committed, edited by hand, then updated.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from typer.testing import CliRunner

from generator.cli import EXIT_BEHIND, EXIT_CONFLICTS, app
from generator.errors import DirtyProjectError, NotAServiceError, TemplateError
from generator.fleet import ServiceStatus, find_services, fleet_status
from generator.fleet_update import BRANCH_PREFIX, FleetResult, Push, fleet_update
from generator.guards import CONFLICT_MARKER
from generator.lifecycle import check, read_service, update
from generator.render import render as render_service
from generator.validate import OPENAPI_DOCUMENT, STEPS, Report, StepResult, validate_project
from tests.conftest import (
    HAND_EDIT,
    POSTGRES_REDIS,
    POSTGRES_URL,
    REDIS_URL,
    THREE_ENTITIES,
    cell_environment,
    commit_everything,
    git,
    project_files,
    require_server,
)

#: The template steps a first render records after its first snapshot.
TEMPLATE_STEPS = [{"template": "row_versions"}, {"template": "idempotency_keys"}]


pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("lifecycle"),
    pytest.mark.usefixtures("git_identity"),
]

OLD, NEW = "v0.1.0", "v0.2.0"
#: The template repository's own CHANGELOG sections (not rendered: it is outside template/).
FIRST_RELEASE = "## 0.1.0\n\n- The first release.\n"
SECOND_RELEASE = "## 0.2.0\n\nUpdating: nothing to do.\n\n- A runbook.\n\n"
TEMPLATE_CHANGELOG_LINE = "- A line only v0.2.0 of the template writes.\n"
RUNBOOK = "# Runbook\n\nPage the owning team; `/health` names the failing dependency.\n"
EXTRA_DEPENDENCY = '    "anyio==4.16.0",\n'
STATUS_ROUTE = '''"""A route the team added in its own file."""

from fastapi import APIRouter

router = APIRouter()


@router.get("/status")
async def status() -> dict[str, str]:
    """Say the service is up."""
    return {"status": "up"}
'''


@pytest.fixture
def releases(template_dir: Path, tmp_path: Path) -> Path:
    """The template as a git repository with the releases v0.1.0 and v0.2.0."""
    repository = tmp_path / "template-repo"
    shutil.copytree(template_dir, repository)
    (repository / "CHANGELOG.md").write_text(f"# Changelog\n\n{FIRST_RELEASE}", "utf-8")
    commit_everything(repository, "release 0.1.0", tag=OLD)
    readme = repository / "template" / "README.md.jinja"
    text = readme.read_text("utf-8")
    assert "\n## Checks\n" in text
    readme.write_text(text.replace("\n## Checks\n", "\n## Checks and gates\n"), "utf-8")
    (repository / "template" / "docs" / "runbook.md").write_text(RUNBOOK, "utf-8")
    gitignore = repository / "template" / ".gitignore"
    gitignore.write_text(gitignore.read_text("utf-8") + "\n# Editors\n.idea/\n", "utf-8")
    changelog = repository / "template" / "CHANGELOG.md.jinja"
    changelog.write_text(changelog.read_text("utf-8") + TEMPLATE_CHANGELOG_LINE, "utf-8")
    releases = f"# Changelog\n\n## Unreleased\n\n- Next.\n\n{SECOND_RELEASE}{FIRST_RELEASE}"
    (repository / "CHANGELOG.md").write_text(releases, "utf-8")
    commit_everything(repository, "release 0.2.0", tag=NEW)
    return repository


Render = Callable[..., Path]


@pytest.fixture
def render(releases: Path, tmp_path: Path) -> Render:
    """Render a release with some answers into a new folder; commit it when asked."""
    counter = iter(range(1000))

    def run(version: str, answers: Mapping[str, Any] | None = None, *, commit: bool = True) -> Path:
        destination = tmp_path / f"service-{next(counter)}"
        copier.run_copy(
            str(releases),
            destination,
            data=dict(answers or {}),
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref=version,
        )
        if commit:
            commit_everything(destination, "rendered")
        return destination

    return run


def edit_by_hand(project: Path, package: str, *, readme: bool = True) -> None:
    """Typical edits: a route in its own file, a dependency, notes in the README."""
    route = project / "src" / package / "api" / "routes" / "status.py"
    route.write_text(STATUS_ROUTE, "utf-8")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    pyproject.write_text(
        text.replace("dependencies = [\n", "dependencies = [\n" + EXTRA_DEPENDENCY, 1)
    )
    if readme:
        notes = project / "README.md"
        notes.write_text(notes.read_text("utf-8") + HAND_EDIT, "utf-8")
    commit_everything(project, "hand edits")


def expected_after_update(
    fresh: Path, package: str, own_changelog: bytes, *, readme: bool = True
) -> dict[str, bytes]:
    """A fresh render of the new release with the same hand edits applied.

    The service's own files (``_skip_if_exists``) keep what they held before the update.
    """
    expected = project_files(fresh)
    assert expected["CHANGELOG.md"].decode().endswith(TEMPLATE_CHANGELOG_LINE)
    expected["CHANGELOG.md"] = own_changelog
    pyproject = expected["pyproject.toml"].decode()
    expected["pyproject.toml"] = pyproject.replace(
        "dependencies = [\n", "dependencies = [\n" + EXTRA_DEPENDENCY, 1
    ).encode()
    if readme:
        expected["README.md"] += HAND_EDIT.encode()
    expected[f"src/{package}/api/routes/status.py"] = STATUS_ROUTE.encode()
    return expected


ANSWER_SETS = {
    "default": {},
    "three-postgresql-redis": {
        **POSTGRES_REDIS,
        "entities": yaml.safe_dump(THREE_ENTITIES, sort_keys=False),
    },
}


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_an_update_equals_a_fresh_render_plus_the_hand_edits_and_stays_green(
    render: Render, answer_set: str
) -> None:
    answers = ANSWER_SETS[answer_set]
    if answers:
        require_server("PostgreSQL", POSTGRES_URL, 5432)
        require_server("Redis", REDIS_URL, 6379)
    project = render(OLD, answers)
    edit_by_hand(project, "task_service")
    own_changelog = (project / "CHANGELOG.md").read_bytes()

    outcome = update(project, {}, NEW)

    assert outcome.previous == OLD
    assert outcome.service.version == NEW
    assert outcome.conflicts == []
    assert {"README.md", "docs/runbook.md", ".gitignore", ".copier-answers.yml"} <= set(
        outcome.changed
    )
    fresh = render(NEW, answers, commit=False)
    assert project_files(project) == expected_after_update(fresh, "task_service", own_changelog)
    commit_everything(project, "update")
    report = validate_project(project, env=cell_environment(f"bp_update_{answer_set}"))
    assert report.passed, "\n".join(r.output[-2000:] for r in report.results if not r.passed)


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_a_true_conflict_is_reported_never_resolved_silently(
    render: Render, answer_set: str
) -> None:
    project = render(OLD, ANSWER_SETS[answer_set])
    readme = project / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("\n## Checks\n", "\n## Our checks\n"))
    git(project, "commit", "--quiet", "-am", "rename a heading the template also renames")

    outcome = update(project, {}, NEW)

    assert outcome.conflicts == ["README.md"]
    text = readme.read_text("utf-8")
    assert CONFLICT_MARKER in text
    assert "## Our checks" in text
    assert "## Checks and gates" in text
    assert (project / "docs" / "runbook.md").read_text("utf-8") == RUNBOOK


#: Answer sets on the memory cache, to switch to Redis.
MEMORY_SETS = {
    "default": {},
    "three-postgresql": {
        "database": "postgresql",
        "entities": yaml.safe_dump(THREE_ENTITIES, sort_keys=False),
    },
}


@pytest.mark.parametrize("answer_set", list(MEMORY_SETS))
def test_changed_answers_switch_the_cache_and_add_an_entity(
    render: Render, answer_set: str
) -> None:
    project = render(OLD, MEMORY_SETS[answer_set])
    # The README's end changes with the cache answer: notes there would be a true conflict.
    edit_by_hand(project, "task_service", readme=False)
    entities = [
        *read_service(project).answers["entities"],
        {"name": "Project", "fields": {"title": "str"}},
    ]
    data = {"cache": "redis", "entities": yaml.safe_dump(entities, sort_keys=False)}
    own_changelog = (project / "CHANGELOG.md").read_bytes()

    outcome = update(project, data, NEW)

    assert outcome.conflicts == []
    assert outcome.service.answers["cache"] == "redis"
    # The update recorded the new entities as a snapshot of the schema history.
    history = outcome.service.answers["schema_history"]
    assert history[-1] == entities
    # The first render's entities (and the template's steps), then the new ones.
    assert len([entry for entry in history if isinstance(entry, list)]) == 2
    fresh = render(
        NEW, {**MEMORY_SETS[answer_set], **data, "schema_history": history}, commit=False
    )
    assert project_files(project) == expected_after_update(
        fresh, "task_service", own_changelog, readme=False
    )
    assert "redis==" in (project / "pyproject.toml").read_text("utf-8")
    assert (project / "src/task_service/infrastructure/migrations/versions/project.py").is_file()


def test_a_dirty_working_tree_is_refused_and_nothing_changes(render: Render) -> None:
    project = render(OLD)
    (project / "README.md").write_text("uncommitted\n", "utf-8")
    before = project_files(project)

    with pytest.raises(DirtyProjectError, match=r"uncommitted changes \(README\.md\)"):
        update(project, {}, NEW)

    assert project_files(project) == before


def test_a_project_not_made_from_this_template_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / ".copier-answers.yml").write_text("_src_path: gh:someone/else\nname: x\n", "utf-8")

    with pytest.raises(NotAServiceError, match="was not made from this template"):
        update(other, {}, NEW)
    with pytest.raises(NotAServiceError, match=r"has no \.copier-answers\.yml"):
        check(tmp_path)


def test_a_source_that_no_longer_resolves_is_refused_and_nothing_changes(
    render: Render, releases: Path
) -> None:
    project = render(OLD)
    before = project_files(project)
    shutil.rmtree(releases)

    with pytest.raises(TemplateError, match="no longer resolves"):
        update(project, {}, NEW)

    assert project_files(project) == before
    assert git(project, "status", "--porcelain") == ""


def test_check_reports_behind_and_the_local_customizations(render: Render) -> None:
    project = render(OLD)
    edit_by_hand(project, "task_service")
    runner = CliRunner()

    standing = check(project)
    behind = runner.invoke(app, ["check", str(project)])
    reported = runner.invoke(app, ["check", "--json", str(project)])
    update(project, {}, NEW)
    commit_everything(project, "update")
    current = runner.invoke(app, ["check", str(project)])

    assert (standing.latest, standing.position.behind) == (NEW, 1)
    assert standing.changes.modified == ["README.md", "pyproject.toml"]
    assert standing.changes.added == ["src/task_service/api/routes/status.py"]
    assert standing.changes.removed == []
    assert behind.exit_code == EXIT_BEHIND, behind.output
    assert "behind by 1 release" in behind.output
    # The fleet's row, and the local changes: one schema (docs/fleet-json.md).
    assert reported.exit_code == EXIT_BEHIND, reported.output
    report = json.loads(reported.stdout)
    fields = [field.name for field in dataclasses.fields(ServiceStatus)]
    assert list(report) == [*fields, "modified", "added", "removed", "conflicts"]
    assert report["conflicts"] == []
    assert (report["state"], report["behind"], report["latest"]) == ("behind", 1, NEW)
    assert report["modified"] == ["README.md", "pyproject.toml"]
    assert current.exit_code == 0, current.output
    assert "current" in current.output


def test_fleet_status_and_update_over_several_services(render: Render, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    services = {
        "alpha": render(OLD, {"project_name": "Alpha"}),
        "beta": render(NEW, {"project_name": "Beta", **POSTGRES_REDIS}),
        "gamma": render(OLD, {"project_name": "Gamma"}),
    }
    for name, path in services.items():
        shutil.move(path, fleet / name)
    (fleet / "gamma" / "README.md").write_text("uncommitted\n", "utf-8")

    rows = {row.name: row for row in fleet_status([fleet])}
    printed = CliRunner().invoke(app, ["fleet", "status", "--json", str(fleet)])

    assert find_services([fleet, fleet / "alpha"]) == [
        fleet / n for n in ("alpha", "beta", "gamma")
    ]
    assert (rows["alpha"].version, rows["alpha"].behind, rows["alpha"].latest) == (OLD, 1, NEW)
    assert (rows["beta"].behind, rows["beta"].database, rows["beta"].cache) == (
        0,
        "postgresql",
        "redis",
    )
    assert rows["alpha"].changed_files == 0
    assert rows["gamma"].changed_files == 1
    assert rows["alpha"].entities == ["Task"]
    assert rows["alpha"].team == "Platform Team"
    assert printed.exit_code == 0, printed.output
    assert [row["name"] for row in json.loads(printed.stdout)] == ["alpha", "beta", "gamma"]

    results = {r.path.name: r for r in fleet_update([fleet], validate=False)}

    assert (results["alpha"].outcome, results["alpha"].branch) == ("updated", BRANCH_PREFIX + NEW)
    assert results["beta"].outcome == "current"
    assert results["gamma"].outcome == "skipped"
    assert "uncommitted changes" in results["gamma"].detail
    alpha = fleet / "alpha"
    assert git(alpha, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(alpha, "status", "--porcelain") == ""
    assert read_service(alpha).version == OLD  # main is untouched; the branch has the update
    assert f"_commit: {NEW}" in git(alpha, "show", f"{BRANCH_PREFIX}{NEW}:.copier-answers.yml")
    assert (fleet / "gamma" / "README.md").read_text("utf-8") == "uncommitted\n"


def test_the_services_own_files_are_never_touched_by_an_update(render: Render) -> None:
    project = render(OLD)
    changelog = project / "CHANGELOG.md"
    own = changelog.read_text("utf-8") + "- Our first release.\n"
    changelog.write_text(own, "utf-8")
    decision = project / "docs" / "decisions" / "0002-use-kafka.md"
    decision.write_text("# 2. Use Kafka\n", "utf-8")
    commit_everything(project, "our own docs")

    outcome = update(project, {}, NEW)

    assert outcome.conflicts == []
    assert changelog.read_text("utf-8") == own
    assert TEMPLATE_CHANGELOG_LINE not in own
    assert decision.read_text("utf-8") == "# 2. Use Kafka\n"
    assert "CHANGELOG.md" not in outcome.changed


def _release_before_the_team_rename(template_dir: Path, destination: Path) -> None:
    """The template as it was before 0.2.0: the owner questions were author_name/_email."""
    shutil.copytree(template_dir, destination)
    config = destination / "copier.yml"
    text = config.read_text("utf-8")
    text = text[: text.index("_migrations:")] + text[text.index("# Files that are the") :]
    for old, new in (("team_email", "author_email"), ("team", "author_name")):
        text = text.replace(f"\n{new}:\n".replace(new, old), f"\n{new}:\n")
        text = text.replace(f"  validator: \"{{{{ {old} | answer_error('{old}') }}}}\"\n", "")
    config.write_text(text, "utf-8")
    for path in (destination / "template").rglob("*.jinja"):
        content = path.read_text("utf-8")
        content = content.replace("team_email", "author_email").replace("{{ team", "{{ author_name")
        path.write_text(content, "utf-8")


def test_a_renamed_answer_is_migrated_before_the_update(
    template_dir: Path, tmp_path: Path, render: Render
) -> None:
    repository = tmp_path / "renamed-template"
    _release_before_the_team_rename(template_dir, repository)
    commit_everything(repository, "0.1.0", tag=OLD)
    shutil.rmtree(repository / "template")
    shutil.copytree(template_dir / "template", repository / "template")
    shutil.copy2(template_dir / "copier.yml", repository / "copier.yml")
    commit_everything(repository, "0.2.0: author_name becomes team", tag=NEW)
    project = tmp_path / "owned"
    owner = {"author_name": "Orders Team", "author_email": "orders@example.com"}
    copier.run_copy(
        str(repository), project, data=owner, defaults=True, unsafe=True, quiet=True, vcs_ref=OLD
    )
    assert "Orders Team" in (project / "pyproject.toml").read_text("utf-8")
    commit_everything(project, "rendered")

    outcome = update(project, {}, NEW)

    assert outcome.conflicts == []
    answers = outcome.service.answers
    assert (answers["team"], answers["team_email"]) == ("Orders Team", "orders@example.com")
    assert "author_name" not in answers
    fresh = tmp_path / "fresh"
    copier.run_copy(
        str(repository),
        fresh,
        data={"team": "Orders Team", "team_email": "orders@example.com"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=NEW,
    )
    expected = project_files(fresh)
    expected["CHANGELOG.md"] = (project / "CHANGELOG.md").read_bytes()  # the service's own
    assert project_files(project) == expected


def test_the_update_command_reports_conflicts_refusals_and_bad_answers(render: Render) -> None:
    runner = CliRunner()
    conflicted = render(OLD)
    readme = conflicted / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("\n## Checks\n", "\n## Our checks\n"))
    git(conflicted, "commit", "--quiet", "-am", "our heading")
    dirty = render(OLD)
    (dirty / "notes.txt").write_text("draft\n", "utf-8")

    conflict = runner.invoke(app, ["update", str(conflicted), "--to", NEW, "--no-validate"])
    refused = runner.invoke(app, ["update", str(dirty), "--no-validate"])
    bad = runner.invoke(app, ["update", str(conflicted), "-d", "cache=memcached"])

    assert conflict.exit_code == 6, conflict.output
    assert "README.md" in conflict.output
    assert "<<<<<<< before updating" in " ".join(conflict.output.split())
    assert refused.exit_code == 2, refused.output
    assert "uncommitted changes (notes.txt)" in " ".join(refused.output.split())
    assert bad.exit_code == 2, bad.output
    assert "cache: 'memcached' is not one of memory, redis" in " ".join(bad.output.split())


def stand_in_checks(*, failing: str | None = None, document: str | None = None) -> Any:
    """Checks that take no time: ``failing`` fails, the export writes ``document``."""

    def checks(worktree: Path) -> Report:
        if document is not None:
            (worktree / OPENAPI_DOCUMENT).write_text(document, "utf-8")
        results = [
            StepResult(step, 0.1, int(step.name == failing), f"output of {step.name}")
            for step in STEPS
        ]
        return Report(worktree, tuple(results))

    return checks


def update_branches(path: Path) -> list[str]:
    return git(path, "branch", "--list", "--format=%(refname:short)", "blueprint/*").split()


def subjects(path: Path, branch: str) -> list[str]:
    return git(path, "log", "--format=%s", f"main..{branch}").splitlines()


def test_fleet_update_runs_in_parallel_and_again_without_clobbering_anyones_commits(
    render: Render, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    for name in ("alpha", "beta", "gamma"):
        shutil.move(render(OLD, {"project_name": name.title()}), fleet / name)
    branch = BRANCH_PREFIX + NEW
    checks = stand_in_checks(document='{"openapi": "new"}\n')
    seen: list[str] = []

    first = fleet_update([fleet], jobs=3, report=checks, on_done=lambda r: seen.append(r.path.name))
    again = fleet_update([fleet], jobs=3, report=checks)
    beta = fleet / "beta"
    git(beta, "worktree", "add", "--quiet", str(tmp_path / "edit"), branch)
    (tmp_path / "edit" / "NOTES.md").write_text("reviewed\n", "utf-8")
    commit_everything(tmp_path / "edit", "Reviewer's note")
    git(beta, "worktree", "remove", str(tmp_path / "edit"))
    tip = git(beta, "rev-parse", branch)
    third = {r.path.name: r for r in fleet_update([fleet], jobs=2, report=checks)}

    assert [r.path.name for r in first] == ["alpha", "beta", "gamma"]  # the services' order
    assert sorted(seen) == ["alpha", "beta", "gamma"]
    for result in [*first, *again]:
        assert (result.outcome, result.branch, result.checks_passed) == (
            "updated",
            branch,
            True,
        ), result
        assert result.log is not None
        assert "== pytest (passed" in result.log.read_text("utf-8")
    for name in ("alpha", "gamma"):
        path = fleet / name
        # One run's commits, made again: the update, and the document the checks rewrote.
        assert subjects(path, branch) == [
            f"Regenerate {OPENAPI_DOCUMENT}",
            f"Update to Service Blueprint {NEW}",
        ]
        assert git(path, "show", f"{branch}:{OPENAPI_DOCUMENT}") == '{"openapi": "new"}\n'
        # The service's own checkout never moved: main, clean, the old release, no worktree.
        assert git(path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
        assert git(path, "status", "--porcelain") == ""
        assert read_service(path).version == OLD
        assert git(path, "worktree", "list").count("\n") == 1
        assert third[name].outcome == "updated"
    assert third["beta"].outcome == "kept"
    assert "has commits of its own" in third["beta"].detail
    assert git(beta, "rev-parse", branch) == tip


def test_a_failed_update_leaves_no_branch_and_a_failed_check_names_its_step(
    render: Render, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    shutil.move(render(OLD, {"project_name": "Alpha"}), fleet / "alpha")
    alpha = fleet / "alpha"

    [missing] = fleet_update([fleet], "v9.9.9", report=stand_in_checks())
    [failing] = fleet_update([fleet], report=stand_in_checks(failing="pytest"))

    assert missing.outcome == "failed", missing
    assert missing.branch is None
    assert missing.log is not None
    assert missing.detail in missing.log.read_text("utf-8")
    assert failing.checks_passed is False
    assert failing.failed_steps == ["pytest"]
    assert failing.log is not None
    assert "== pytest (FAILED" in failing.log.read_text("utf-8")
    assert "output of pytest" in failing.log.read_text("utf-8")
    assert update_branches(alpha) == [BRANCH_PREFIX + NEW]  # none left by the failed one
    assert git(alpha, "worktree", "list").count("\n") == 1


def test_push_sends_the_branch_with_a_description_that_is_the_same_every_run(
    render: Render, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    alpha = fleet / "alpha"
    shutil.move(render(OLD, {"project_name": "Alpha"}), alpha)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(alpha, "remote", "add", "origin", str(remote))
    branch = BRANCH_PREFIX + NEW
    checks = stand_in_checks(failing="mypy --strict")

    [first] = fleet_update([fleet], report=checks, push=Push())
    text = first.description.read_text("utf-8") if first.description else ""
    pushed = git(remote, "rev-parse", branch)
    [again] = fleet_update([fleet], report=checks, push=Push())
    again_text = again.description.read_text("utf-8") if again.description else ""
    printed = CliRunner().invoke(
        app, ["fleet", "update", str(fleet), "--no-validate", "--push", "--remote", "nowhere"]
    )

    assert (first.outcome, first.pushed) == ("updated", True), first
    assert pushed == git(alpha, "rev-parse", branch)
    # Run again, the same update: the same commits, so the pull request does not move.
    assert (again.pushed, git(remote, "rev-parse", branch)) == (True, pushed)
    assert "as the last run made it" in again.detail
    assert again_text == text  # the same inputs, the same text
    assert text.startswith(f"# Update alpha to Service Blueprint {NEW}\n")
    assert f"from template {OLD} to {NEW}" in text
    assert "## Conflicts\n\nNone." in text
    assert "Failed: `mypy --strict`." in text
    # The template's CHANGELOG at the target: the sections of the releases crossed only.
    assert text.endswith(f"## What changed in the template\n\n{SECOND_RELEASE.strip()}\n")
    # A remote that does not exist fails that service, saying why; its branch stays local.
    assert printed.exit_code == 1, printed.output
    assert "push to nowhere failed" in " ".join(printed.output.split())


#: Stand-ins for the forges' CLIs: each records its calls (the subcommand, and for
#: GitLab the description, passed inline); a request exists once created.
FAKE_GH = """#!/bin/sh
echo "$*" >> "$FORGE_CALLS"
case "$1 $2" in
  "pr view") [ -f "$FORGE_CALLS.created" ] ;;
  "pr create") touch "$FORGE_CALLS.created" ;;
esac
"""
FAKE_GLAB = """#!/bin/sh
echo "$1 $2" >> "$FORGE_CALLS"
case "$1 $2" in
  "mr view") [ -f "$FORGE_CALLS.created" ] ;;
  "mr create") touch "$FORGE_CALLS.created"; printf '%s' "$8" > "$FORGE_CALLS.description" ;;
esac
"""


def _scheduled_step(service: Path, forge: str) -> tuple[str, dict[Any, Any]]:
    """The scheduled update's own command, and the file that declares it, as YAML."""
    if forge == "github":
        workflow = yaml.safe_load((service / ".github/workflows/template-update.yml").read_text())
        [step] = [step for step in workflow["jobs"]["propose"]["steps"] if "run" in step]
        return step["run"], workflow
    pipeline = yaml.safe_load((service / ".gitlab-ci.yml").read_text("utf-8"))
    [command] = pipeline["template-update"]["script"]
    return command, pipeline


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_the_scheduled_update_pushes_the_branch_and_opens_one_request(
    render: Render, tmp_path: Path, forge: str
) -> None:
    service = render(OLD, {"project_name": "Alpha", "ci": forge})
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(service, "remote", "add", "origin", str(remote))
    git(service, "push", "--quiet", "origin", "main")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cli = bin_dir / ("gh" if forge == "github" else "glab")
    cli.write_text(FAKE_GH if forge == "github" else FAKE_GLAB, "utf-8")
    cli.chmod(0o755)
    calls = tmp_path / "forge-calls"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FORGE_CALLS": str(calls),
        # The generator under test stands in for the release the script would install.
        "BLUEPRINT": f"{sys.executable} -m generator",
    }
    command, declared = _scheduled_step(service, forge)
    branch = BRANCH_PREFIX + NEW

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", command], cwd=service, env=env, capture_output=True, text=True, check=False
        )

    first = run()
    pushed = git(remote, "rev-parse", branch)
    second = run()

    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    assert git(remote, "rev-parse", branch) == pushed  # the same update: the branch stays
    body = service / ".git/blueprint" / f"update-{NEW}.md"
    assert body.read_text("utf-8").startswith(f"# Update alpha to Service Blueprint {NEW}")
    title = f"--title Update to Service Blueprint {NEW}"
    if forge == "github":
        made, edited = calls.read_text("utf-8").splitlines()[1::2]
        assert made == f"pr create --head {branch} {title} --body-file {body}"
        assert edited == f"pr edit {branch} {title} --body-file {body}"
        assert declared["permissions"] == {"contents": "write", "pull-requests": "write"}
        assert "schedule" in declared[True]  # YAML 1.1 reads the key `on` as true
    else:
        assert calls.read_text("utf-8").split("\n")[:4] == [
            "mr view",
            "mr create",
            "mr view",
            "mr update",
        ]
        assert (tmp_path / "forge-calls.description").read_text("utf-8") == body.read_text(
            "utf-8"
        ).rstrip("\n")
        rules = declared["template-update"]["rules"]
        assert rules[0]["if"] == '$CI_PIPELINE_SOURCE == "schedule" && $BLUEPRINT_UPDATES == "true"'
        assert declared["checks"]["rules"][0] == {
            "if": '$CI_PIPELINE_SOURCE == "schedule"',
            "when": "never",
        }
    assert git(service, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_an_edit_to_a_file_the_release_deletes_is_kept_as_orig(
    releases: Path, render: Render
) -> None:
    hooks = releases / "template" / ".pre-commit-config.yaml"
    hooks.unlink()  # the next release deletes a file the service edited
    commit_everything(releases, "release 0.3.0", tag="v0.3.0")
    project = render(NEW)
    edited = "# our own hooks\n" + (project / ".pre-commit-config.yaml").read_text("utf-8")
    (project / ".pre-commit-config.yaml").write_text(edited, "utf-8")
    commit_everything(project, "our hooks")

    outcome = update(project, {}, "v0.3.0")

    assert outcome.kept == [".pre-commit-config.yaml"]
    assert (project / ".pre-commit-config.yaml.orig").read_text("utf-8") == edited
    assert ".pre-commit-config.yaml.orig" in outcome.changed


def test_release_changes_to_files_deleted_or_renamed_here_are_named(
    releases: Path, render: Render
) -> None:
    template = releases / "template"
    for name in (".dockerignore", ".pre-commit-config.yaml"):  # the next release changes both
        (template / name).write_text((template / name).read_text("utf-8") + "# 0.3.0\n", "utf-8")
    commit_everything(releases, "release 0.3.0", tag="v0.3.0")
    project = render(NEW)
    git(project, "rm", "--quiet", ".dockerignore")  # deleted here, changed by the release
    git(project, "mv", ".pre-commit-config.yaml", "hooks.yaml")  # renamed here, changed
    git(project, "rm", "--quiet", "compose.yaml")  # deleted here, the release leaves it
    commit_everything(project, "our layout")

    result = CliRunner().invoke(
        app, ["update", str(project), "--to", "v0.3.0", "--no-validate", "--json"]
    )

    assert result.exit_code == 0, result.output
    reported = json.loads(result.stdout)
    assert reported["missed"] == [
        {"path": ".dockerignore", "renamed_to": None},
        {"path": ".pre-commit-config.yaml", "renamed_to": "hooks.yaml"},
    ]
    assert (reported["previous"], reported["version"]) == (NEW, "v0.3.0")
    said = " ".join(result.stderr.split())
    assert "changed by the release, but deleted or renamed here" in said
    assert ".pre-commit-config.yaml (renamed to hooks.yaml)" in said
    # Copier skipped both: nothing was brought back, nothing changed in the renamed file.
    assert not (project / ".dockerignore").exists()
    assert "# 0.3.0" not in (project / "hooks.yaml").read_text("utf-8")


def test_check_fails_on_committed_conflict_markers_and_paths_are_recorded_absolute(
    releases: Path, render: Render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = render(NEW)
    (project / "NOTES.md").write_text(f"{CONFLICT_MARKER}\nours\n=======\ntheirs\n", "utf-8")
    commit_everything(project, "merged in a hurry")
    monkeypatch.chdir(releases.parent)

    failed = CliRunner().invoke(app, ["check", "--json", str(project)])
    relative = render_service(
        tmp_path / "relative", {}, defaults=True, source=f"./{releases.name}", vcs_ref=NEW
    )

    assert failed.exit_code == EXIT_CONFLICTS, failed.output
    assert json.loads(failed.stdout)["conflicts"] == ["NOTES.md"]
    assert read_service(relative).source == str(releases)


def test_the_fleet_update_command_summarizes_each_service(render: Render, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    shutil.move(render(OLD, {"project_name": "Alpha"}), fleet / "alpha")
    shutil.move(render(NEW, {"project_name": "Beta"}), fleet / "beta")

    result = CliRunner().invoke(app, ["fleet", "update", str(fleet), "--no-validate"])
    again = CliRunner().invoke(app, ["fleet", "update", str(fleet), "--no-validate", "--json"])

    assert result.exit_code == 0, result.output
    assert "updated alpha: v0.1.0 → v0.2.0" in " ".join(result.output.split())
    assert "current beta: already on v0.2.0" in " ".join(result.output.split())
    assert "1 current, 1 updated" in result.output
    # The summary, one row per service, nothing cut (plain text: the runner is no terminal).
    header = next(line for line in result.stdout.splitlines() if line.startswith("service"))
    assert header.split() == ["service", "outcome", "detail", "branch", "checks", "log"]
    assert f"{fleet / 'alpha'}  updated" in result.stdout
    assert again.exit_code == 0, again.output
    rows = json.loads(again.stdout)
    assert [(row["path"], row["outcome"]) for row in rows] == [
        (str(fleet / "alpha"), "updated"),  # the branch an earlier run made, made again
        (str(fleet / "beta"), "current"),
    ]
    assert set(rows[0]) == {f.name for f in dataclasses.fields(FleetResult)}


def test_a_service_rendered_from_a_plain_folder_is_told_why_it_cannot_be_checked(
    template_dir: Path, tmp_path: Path
) -> None:
    project = tmp_path / "from-folder"
    copier.run_copy(str(template_dir), project, defaults=True, unsafe=True, quiet=True)

    with pytest.raises(TemplateError, match="is a folder, not a git repository"):
        check(project)


def test_blueprint_update_records_the_change_and_writes_its_revision(render: Render) -> None:
    project = render(NEW)
    versions = project / "src/task_service/infrastructure/migrations/versions"
    created = (versions / "task.py").read_bytes()
    entities = read_service(project).answers["entities"]
    fields = dict(entities[0]["fields"])
    fields["heading"] = {**fields.pop("title"), "renamed_from": "title"}
    changed = [{**entities[0], "fields": fields}]

    runner = CliRunner()
    data = f"entities={yaml.safe_dump(changed, sort_keys=False)}"
    result = runner.invoke(app, ["update", str(project), "-d", data, "--no-validate"])

    assert result.exit_code == 0, result.output
    answers = read_service(project).answers
    # A first render records the template's steps after its entities; the change follows.
    assert answers["schema_history"] == [entities, *TEMPLATE_STEPS, changed]
    assert "renamed_from" not in json.dumps(answers["entities"])  # markers stay in the history
    assert (versions / "task.py").read_bytes() == created
    revisions = sorted(path.name for path in versions.glob("change_*.py"))
    assert revisions[-1] == "change_003_task_rename_heading.py"
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "renamed")

    again = runner.invoke(app, ["update", str(project), "-d", data, "--no-validate"])

    assert again.exit_code == 0, again.output
    assert read_service(project).answers["schema_history"] == [entities, *TEMPLATE_STEPS, changed]
    assert git(project, "status", "--porcelain") == ""


def test_plain_copier_update_of_entities_is_refused_and_writes_nothing(render: Render) -> None:
    project = render(NEW)
    entities = [
        *read_service(project).answers["entities"],
        {"name": "Note", "fields": {"body": "text"}},
    ]

    with pytest.raises(ValueError, match=r"blueprint update -d entities="):
        copier.run_update(
            project,
            data={"entities": yaml.safe_dump(entities, sort_keys=False)},
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
        )

    assert git(project, "status", "--porcelain") == ""
