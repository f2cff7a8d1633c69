"""``fleet status`` and ``check`` hide nothing: every case of a mixed fleet, without rendering.

The services are folders with an answers file, committed to git; the template source is a
git repository with two release tags. Status reads only those, so this runs in seconds.
"""

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from generator.cli import STATUS_COLUMNS, app
from generator.fleet import ServiceStatus, find_services, fleet_status
from generator.lifecycle import position
from tests.conftest import commit_everything, git

RELEASES = ["v0.7.0", "v0.8.0"]
LONG = "a-service-with-a-rather-long-name-that-a-table-would-cut"


@pytest.fixture
def source(tmp_path: Path, git_identity: None) -> Path:
    """A template source with the releases ``RELEASES``."""
    path = tmp_path / "template"
    path.mkdir()
    for tag in RELEASES:
        (path / "VERSION").write_text(tag, "utf-8")
        commit_everything(path, tag, tag=tag)
    return path


def answers(source: Path | str, commit: str | None, **extra: Any) -> dict[str, Any]:
    recorded: dict[str, Any] = {
        "_src_path": str(source),
        "project_slug": "x",
        "package_name": "x",
        "python_version": "3.13",
        "team": "Platform",
        "entities": [{"name": "Task", "fields": {"title": "str"}}],
        **extra,
    }
    if commit is not None:
        recorded["_commit"] = commit
    return recorded


def make_service(root: Path, name: str, recorded: dict[str, Any] | str) -> Path:
    """A committed service folder whose answers file holds ``recorded`` (text: as is)."""
    path = root / name
    path.mkdir(parents=True)
    text = recorded if isinstance(recorded, str) else yaml.safe_dump(recorded, sort_keys=False)
    (path / ".copier-answers.yml").write_text(text, "utf-8")
    commit_everything(path, "rendered")
    return path


@pytest.fixture
def fleet(tmp_path: Path, source: Path) -> Path:
    root = tmp_path / "fleet"
    cases: dict[str, dict[str, Any] | str] = {
        "current": answers(source, "v0.8.0", project_slug="current"),
        "behind": answers(source, "v0.7.0", project_slug="behind"),
        "ahead": answers(source, "v0.8.0-3-g1a2b3c4", project_slug="ahead"),
        "past-an-old-release": answers(source, "v0.7.0-2-gabcdef0", project_slug="past-old"),
        "gone-source": answers(tmp_path / "nowhere", "v0.7.0", project_slug="gone-source"),
        "unversioned": answers(source, None, project_slug="unversioned"),
        "broken-yaml": "_src_path: [unclosed\nproject_slug: broken\n",
        LONG: answers(source, "v0.8.0", project_slug=LONG),
    }
    for name, recorded in cases.items():
        make_service(root, name, recorded)
    # Not UTF-8 at all: listed too, with the reason.
    latin = make_service(root, "latin-1", "")
    (latin / ".copier-answers.yml").write_bytes("project_slug: caf\xe9\n".encode("latin-1"))
    # From before the entities question: answers of the first releases.
    early = answers(source, "v0.7.0", project_slug="early", author_name="Ops")
    del early["entities"], early["python_version"], early["team"]
    make_service(root, "early", early)
    # Another template's service is not ours, and is not listed.
    make_service(root, "other", {"_src_path": "gh:someone/else", "name": "other"})
    return root


def test_every_service_of_the_template_is_a_row_with_its_problem(fleet: Path) -> None:
    rows = {Path(row.path).name: row for row in fleet_status([fleet])}

    assert sorted(rows) == sorted(path.name for path in fleet.iterdir() if path.name != "other")
    assert [p.name for p in find_services([fleet])] == sorted(rows)
    standing = {name: (row.state, row.behind, row.problem is None) for name, row in rows.items()}
    assert standing["current"] == ("current", 0, True)
    assert standing["behind"] == ("behind", 1, True)
    assert standing["ahead"] == ("ahead", None, True)
    assert rows["ahead"].standing == "ahead of v0.8.0 (+3)"
    assert standing["past-an-old-release"] == ("behind", 1, True)
    # A source that does not resolve is unknown, with the reason: never "behind 0".
    assert standing["gone-source"] == ("unknown", None, False)
    assert "no longer resolves" in (rows["gone-source"].problem or "")
    assert rows["gone-source"].latest is None
    assert standing["unversioned"] == ("unknown", None, False)
    assert standing["broken-yaml"] == ("unknown", None, False)
    assert "not valid UTF-8 YAML" in (rows["broken-yaml"].problem or "")
    assert standing["latin-1"] == ("unknown", None, False)
    assert "not valid UTF-8 YAML" in (rows["latin-1"].problem or "")
    assert standing["early"] == ("behind", 1, False)
    assert "early release" in (rows["early"].problem or "")
    assert rows["early"].team == "Ops"


def _changed_by_diff(service: Path) -> set[str]:
    """What changed since the render, asked of git the slow way (three questions)."""
    rendered = git(service, "log", "-1", "--format=%H", "--", ".copier-answers.yml").strip()
    tracked = git(service, "diff", "--name-only", "-z", rendered).split("\0")
    untracked = git(service, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    return {*tracked, *untracked} - {""}


def test_changed_files_count_every_kind_of_change_since_the_render(
    tmp_path: Path, source: Path
) -> None:
    service = make_service(tmp_path, "edited", answers(source, "v0.8.0"))
    for name in ("kept.py", "edited later.py", "moved.py", "removed.py", "staged.py"):
        (service / name).write_text(f"# {name}\n", "utf-8")
    (service / ".gitignore").write_text("*.log\n", "utf-8")
    updated = yaml.safe_dump(answers(source, "v0.8.0", project_slug="updated"), sort_keys=False)
    (service / ".copier-answers.yml").write_text(updated, "utf-8")
    commit_everything(service, "an update: the answers and what the render wrote")
    (service / "edited later.py").write_text("# committed after the render\n", "utf-8")
    commit_everything(service, "a local commit")
    (service / "kept.py").write_text("# still the render's\n", "utf-8")
    (service / "kept.py").write_text("# kept.py\n", "utf-8")  # changed back: not counted
    git(service, "mv", "moved.py", "renamed.py")
    (service / "removed.py").unlink()
    (service / "staged.py").write_text("# staged\n", "utf-8")
    git(service, "add", "staged.py")
    (service / "new folder").mkdir()
    (service / "new folder" / "untracked file.py").write_text("\n", "utf-8")
    (service / "debug.log").write_text("ignored\n", "utf-8")

    [row] = fleet_status([service])

    expected = {
        "edited later.py",
        "renamed.py",  # from moved.py: one change, as git diff names it
        "removed.py",
        "staged.py",
        "new folder/untracked file.py",
    }
    assert _changed_by_diff(service) == expected
    assert row.changed_files == len(expected)


def test_services_sharing_a_repository_count_only_their_own_changes(
    tmp_path: Path, source: Path
) -> None:
    repository = tmp_path / "monorepo"
    for name in ("billing", "orders"):
        folder = repository / "services" / name
        folder.mkdir(parents=True)
        text = yaml.safe_dump(answers(source, "v0.8.0", project_slug=name), sort_keys=False)
        (folder / ".copier-answers.yml").write_text(text, "utf-8")
    commit_everything(repository, "both rendered")
    orders = repository / "services" / "orders"
    (orders / "committed.py").write_text("\n", "utf-8")
    commit_everything(repository, "an orders change")
    (orders / "untracked.py").write_text("\n", "utf-8")

    rows = {row.name: row.changed_files for row in fleet_status([repository])}

    assert rows == {"billing": 0, "orders": 2}


def test_changed_files_is_unknown_without_a_commit_of_the_answers(
    tmp_path: Path, source: Path
) -> None:
    make_service(tmp_path, "committed", answers(source, "v0.8.0"))
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / ".copier-answers.yml").write_text(
        yaml.safe_dump(answers(source, "v0.8.0", project_slug="loose")), "utf-8"
    )
    git(loose, "init", "--quiet")
    not_git = tmp_path / "not-git"
    not_git.mkdir()
    (not_git / ".copier-answers.yml").write_text(
        yaml.safe_dump(answers(source, "v0.8.0", project_slug="not-git")), "utf-8"
    )

    rows = {Path(row.path).name: row.changed_files for row in fleet_status([tmp_path])}

    assert rows == {"committed": 0, "loose": None, "not-git": None}


def test_the_table_piped_is_plain_and_cuts_nothing(fleet: Path) -> None:
    printed = CliRunner().invoke(app, ["fleet", "status", str(fleet)])

    assert printed.exit_code == 0, printed.output
    header, *lines = printed.stdout.splitlines()
    assert header.split() == list(STATUS_COLUMNS)
    assert len(lines) == 10
    assert any(line.startswith(LONG + "  ") for line in lines)
    assert any("ahead of v0.8.0 (+3)" in line for line in lines)
    assert not any("│" in line or "…" in line for line in printed.stdout.splitlines())


def test_fleet_status_json_has_the_documented_fields_in_every_row(fleet: Path) -> None:
    printed = CliRunner().invoke(app, ["fleet", "status", "--json", str(fleet)])

    rows = json.loads(printed.stdout)
    fields = [field.name for field in dataclasses.fields(ServiceStatus)]
    assert len(rows) == 10
    assert all(list(row) == fields for row in rows)
    assert {row["state"] for row in rows} == {"current", "behind", "ahead", "unknown"}


def test_check_outside_git_is_a_clear_error(tmp_path: Path, source: Path) -> None:
    path = tmp_path / "loose"
    path.mkdir()
    (path / ".copier-answers.yml").write_text(yaml.safe_dump(answers(source, "v0.8.0")), "utf-8")

    result = CliRunner().invoke(app, ["check", str(path)])

    assert result.exit_code == 2, result.output
    assert "not a git working tree" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("version", "state", "label"),
    [
        ("v0.8.0", "current", "current"),
        ("v0.7.0", "behind", "behind 1"),
        ("v0.8.0-9-gabc1234", "ahead", "ahead of v0.8.0 (+9)"),
        ("v0.7.0-9-gabc1234", "behind", "behind 1"),
        ("abc1234", "unknown", "unknown"),
        (None, "unknown", "unknown"),
    ],
)
def test_a_version_is_placed_among_the_releases(
    version: str | None, state: str, label: str
) -> None:
    where = position(version, RELEASES)

    assert (where.state, where.label) == (state, label)
    assert (where.reason is None) is (state != "unknown")
