"""A mixed fleet, end to end: every case ``fleet status``, ``check`` and ``fleet update`` meet.

The template is a clone of this repository with its release tags recreated, and this
checkout's commit tagged as the next release (``NEXT``, a stand-in name). The services are
real renders of it, of the previous two releases, of the first release (answers from
before ``entities``) and of a commit past ``NEXT``, each its own git repository, then
edited, renamed, dirtied, broken or moved as teams do. The fleet is built once; the tests
read it, and the update test runs ``fleet update`` twice in a row.
"""

import difflib
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import EXIT_BEHIND, EXIT_CONFLICTS, STATUS_COLUMNS, app
from generator.fleet_update import BRANCH_PREFIX
from generator.guards import CONFLICT_MARKER
from generator.lifecycle import ANSWERS_FILE
from tests.conftest import GIT_IDENTITY, RELEASES, commit_everything, git, render_release

pytestmark = pytest.mark.xdist_group("fleet-acceptance")

#: This checkout, released under a name no real release will take.
NEXT = "v99.0.0"
PREVIOUS, BEFORE_PREVIOUS = RELEASES[-1], RELEASES[-2]
FIRST = RELEASES[0]
EXIT_ERROR, EXIT_TEMPLATE = 2, 3


@dataclass(frozen=True)
class Expected:
    """What every report says about one service of the fleet."""

    state: str
    behind: int | None
    changed_files: int | None
    problem: str | None
    check_exit: int
    update: str


@dataclass(frozen=True)
class Fleet:
    root: Path
    expected: Mapping[str, Expected]
    #: The rendered file the newest release changes, that ``conflicting`` edited and
    #: ``renamed`` renamed.
    changed_file: str


def _released_change(before: Path, after: Path) -> tuple[str, str]:
    """A file both renders hold whose line the newer one changes, and that line's old text."""
    for file in sorted(before.rglob("*.md")) + sorted(before.rglob("*.py")):
        name = file.relative_to(before).as_posix()
        if name.startswith("docs/openapi") or not (after / name).is_file():
            continue
        old = file.read_text("utf-8").splitlines()
        new = (after / name).read_text("utf-8").splitlines()
        for tag, start, end, _, _ in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
            if tag == "replace" and end - start == 1 and old[start].strip():
                return name, old[start]
    message = f"{NEXT} changes no line of {before.name}'s Markdown or Python files"
    raise AssertionError(message)


def _copy(source: Path, destination: Path, *, commit: bool = True) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(".git"))
    if commit:
        commit_everything(destination, "rendered")
    return destination


@pytest.fixture(scope="module")
def fleet(tagged_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    scratch = tmp_path_factory.mktemp("fleet-acceptance")
    root = scratch / "fleet"
    renders = scratch / "renders"
    renders.mkdir()
    template = scratch / "service-blueprint"
    with pytest.MonkeyPatch.context() as environment:
        for name, value in GIT_IDENTITY.items():
            environment.setenv(name, value)
        git(scratch, "clone", "--quiet", str(tagged_clone), str(template))
        git(template, "tag", NEXT)
        git(template, "commit", "--quiet", "--allow-empty", "-m", "work after the release")
        for tag in (FIRST, BEFORE_PREVIOUS, PREVIOUS, NEXT, "HEAD"):
            render_release(template, tag, {}, renders / tag, own_code=False)
        changed_file, changed_line = _released_change(renders / PREVIOUS, renders / NEXT)

        _copy(renders / NEXT, root / "current")
        _copy(renders / PREVIOUS, root / "behind-one")
        _copy(renders / BEFORE_PREVIOUS, root / "behind-two")
        _copy(renders / "HEAD", root / "ahead")
        _copy(renders / FIRST, root / "early")
        edited = _copy(renders / PREVIOUS, root / "edited")
        (edited / "docs" / "ours.md").write_text("# Our own notes\n", "utf-8")
        commit_everything(edited, "our notes")
        conflicting = _copy(renders / PREVIOUS, root / "conflicting")
        target = conflicting / changed_file
        text = target.read_text("utf-8")
        target.write_text(text.replace(changed_line, changed_line + "  # ours", 1), "utf-8")
        commit_everything(conflicting, "our line, which the release changes too")
        renamed = _copy(renders / PREVIOUS, root / "renamed")
        git(renamed, "mv", changed_file, f"{changed_file}.moved")
        commit_everything(renamed, "our layout")
        dirty = _copy(renders / PREVIOUS, root / "dirty")
        (dirty / "README.md").write_text("work in progress\n", "utf-8")
        markers = _copy(renders / NEXT, root / "markers")
        (markers / "NOTES.md").write_text(f"{CONFLICT_MARKER}\nours\n=======\ntheirs\n", "utf-8")
        commit_everything(markers, "merged in a hurry")
        broken = _copy(renders / NEXT, root / "broken-yaml")
        (broken / ANSWERS_FILE).write_text("_src_path: [unclosed\nproject_slug: x\n", "utf-8")
        commit_everything(broken, "a bad hand edit")
        gone = _copy(renders / PREVIOUS, root / "gone-source")
        answers = (gone / ANSWERS_FILE).read_text("utf-8")
        moved = answers.replace(str(template), str(scratch / "moved-away"))
        assert moved != answers
        (gone / ANSWERS_FILE).write_text(moved, "utf-8")
        commit_everything(gone, "the template moved")
        _copy(renders / NEXT, root / "not-git", commit=False)
        other = root / "other-template"
        other.mkdir(parents=True)
        (other / ANSWERS_FILE).write_text("_src_path: gh:someone/else\nname: other\n", "utf-8")

        releases_behind = len(RELEASES)
        yield Fleet(
            root,
            {
                "current": Expected("current", 0, 0, None, 0, "current"),
                "behind-one": Expected("behind", 1, 0, None, EXIT_BEHIND, "updated"),
                "behind-two": Expected("behind", 2, 0, None, EXIT_BEHIND, "updated"),
                "ahead": Expected("ahead", None, 0, None, 0, "current"),
                "early": Expected(
                    "behind", releases_behind, 0, "early release", EXIT_BEHIND, "updated"
                ),
                "edited": Expected("behind", 1, 1, None, EXIT_BEHIND, "updated"),
                "conflicting": Expected("behind", 1, 1, None, EXIT_BEHIND, "conflicts"),
                "renamed": Expected("behind", 1, 1, None, EXIT_BEHIND, "updated"),
                "dirty": Expected("behind", 1, 1, None, EXIT_BEHIND, "skipped"),
                "markers": Expected("current", 0, 1, None, EXIT_CONFLICTS, "current"),
                "broken-yaml": Expected(
                    "unknown", None, None, "not valid UTF-8 YAML", EXIT_ERROR, "failed"
                ),
                "gone-source": Expected(
                    "unknown", None, 0, "no longer resolves", EXIT_TEMPLATE, "failed"
                ),
                "not-git": Expected("current", 0, None, None, EXIT_ERROR, "failed"),
            },
            changed_file,
        )


def test_fleet_status_has_every_service_right_in_json_and_in_the_table(fleet: Fleet) -> None:
    as_json = CliRunner().invoke(app, ["fleet", "status", "--json", str(fleet.root)])
    table = CliRunner().invoke(app, ["fleet", "status", str(fleet.root)])

    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    found = {Path(row["path"]).name: row for row in rows}
    assert sorted(found) == sorted(fleet.expected)  # the other template's folder is not one
    for name, expected in fleet.expected.items():
        row = found[name]
        seen = (row["state"], row["behind"], row["changed_files"])
        assert seen == (expected.state, expected.behind, expected.changed_files), name
        if expected.problem is None:
            assert row["problem"] is None, (name, row["problem"])
        else:
            assert expected.problem in (row["problem"] or ""), (name, row["problem"])
    assert found["ahead"]["version"].startswith(f"{NEXT}-")
    assert found["early"]["team"]  # the early releases' author_name
    # The table: one plain line per row, in the JSON's order, every cell whole.
    assert table.exit_code == 0, table.output
    header, *lines = table.stdout.splitlines()
    assert header.split() == list(STATUS_COLUMNS)
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        standing = {"current": "current", "behind": f"behind {row['behind']}"}.get(row["state"])
        assert line.startswith(row["name"]), line
        assert standing is None or f"  {standing}  " in line, (line, row)
        assert row["problem"] is None or line.endswith(row["problem"]), (line, row)


def test_check_exits_with_each_service_s_standing(fleet: Fleet) -> None:
    codes = {}
    for name in fleet.expected:
        result = CliRunner().invoke(app, ["check", "--json", str(fleet.root / name)])
        codes[name] = result.exit_code
        if result.exit_code in {0, EXIT_BEHIND, EXIT_CONFLICTS}:
            assert json.loads(result.stdout)["path"] == str(fleet.root / name)
        else:  # a clear message, never a traceback
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert "error" in result.output.lower(), result.output

    assert codes == {name: expected.check_exit for name, expected in fleet.expected.items()}


def test_fleet_update_twice_gives_each_service_the_same_outcome(fleet: Fleet) -> None:
    command = ["fleet", "update", str(fleet.root), "--no-validate", "--json"]
    first = CliRunner().invoke(app, command)
    branches = {
        name: git(fleet.root / name, "rev-parse", BRANCH_PREFIX + NEXT).strip()
        for name, expected in fleet.expected.items()
        if expected.update in {"updated", "conflicts"}
    }
    second = CliRunner().invoke(app, command)

    for run in (first, second):
        rows = {Path(row["path"]).name: row for row in json.loads(run.stdout)}
        outcomes = {name: row["outcome"] for name, row in rows.items()}
        assert outcomes == {name: e.update for name, e in fleet.expected.items()}, run.stderr
        assert run.exit_code != 0  # failures and conflicts are not a green run
        assert fleet.changed_file in rows["conflicting"]["detail"]
        assert rows["renamed"]["missed"] == [
            f"{fleet.changed_file} (renamed to {fleet.changed_file}.moved)"
        ]
        assert "uncommitted changes" in rows["dirty"]["detail"]
        assert "already past" in rows["ahead"]["detail"]
        assert "not valid UTF-8 YAML" in rows["broken-yaml"]["detail"]
        assert "not a git working tree" in rows["not-git"]["detail"]
        for name in ("current", "markers", "dirty", "ahead"):
            assert git(fleet.root / name, "branch", "--list", f"{BRANCH_PREFIX}*") == ""
    # The second run made the same updates: every branch stays where the first one put it.
    for name, commit in branches.items():
        assert git(fleet.root / name, "rev-parse", BRANCH_PREFIX + NEXT).strip() == commit
        assert git(fleet.root / name, "rev-parse", "--abbrev-ref", "HEAD").strip() != (
            BRANCH_PREFIX + NEXT
        )
    second_rows = {Path(row["path"]).name: row for row in json.loads(second.stdout)}
    assert "as the last run made it" in second_rows["behind-one"]["detail"]
