"""Every release renders as itself, whatever generator is installed.

The releases are the tags ``python -m generator.releases --tag`` derives from the history
(made here in a scratch clone of this repository). A release's *own* render is Copier run
with that release's ``generator`` package first on ``sys.path`` (a worktree of its tag);
the installed generator must give the same bytes, through
:class:`generator.release.ReleaseExtension`.
"""

import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from generator import releases
from generator.filters import FiltersExtension
from generator.lifecycle import local_changes, read_service
from generator.release import ReleaseExtension, render_extension, source_digest
from generator.render import render
from tests.conftest import (
    RELEASES,
    REPO,
    THREE_ENTITIES,
    commit_everything,
    git,
    project_files,
    render_release,
)

pytestmark = pytest.mark.xdist_group("releases")

MANY_TO_MANY = """
- name: Tag
  fields: {label: {type: str, max_length: 40, unique: true}}
- name: Task
  fields: {title: str, tags: {many: Tag}, related: {many: Task}}
"""
ANSWER_SETS: Mapping[str, Mapping[str, str]] = {
    "defaults": {},
    "three-entities": {"entities": yaml.safe_dump(THREE_ENTITIES, sort_keys=False)},
}


def test_the_script_finds_every_release_so_far(tagged_clone: Path) -> None:
    found = releases.releases(tagged_clone)

    # A release is added here when it is made: this list is the history's, not a guess.
    assert [release.tag for release in found][: len(RELEASES)] == RELEASES
    for release in found:
        version_file = git(tagged_clone, "show", f"{release.commit}:{releases.VERSION_FILE}")
        assert releases.declared_version(version_file) == release.version


def test_tagging_twice_changes_nothing(tagged_clone: Path) -> None:
    before = releases.existing_tags(tagged_clone)

    assert releases.tag_releases(tagged_clone) == ([], [])
    assert releases.existing_tags(tagged_clone) == before


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
@pytest.mark.parametrize("tag", RELEASES)
def test_a_release_renders_as_itself_with_the_installed_generator(
    tagged_clone: Path, tmp_path: Path, tag: str, answer_set: str
) -> None:
    answers = ANSWER_SETS[answer_set]
    own = render_release(tagged_clone, tag, answers, tmp_path / "own", own_code=True)
    installed = render_release(tagged_clone, tag, answers, tmp_path / "installed", own_code=False)

    assert len(own) > 30
    assert installed.keys() == own.keys()
    assert [name for name in own if installed[name] != own[name]] == []


def test_many_to_many_at_0_7_0_renders_with_0_7_0s_code(tagged_clone: Path, tmp_path: Path) -> None:
    # The skew once observed: 0.7.0's templates with a later generator wrote `link_(` and
    # an OpenAPI parameter the routes did not have.
    answers = {"entities": MANY_TO_MANY}
    own = render_release(tagged_clone, "v0.7.0", answers, tmp_path / "own", own_code=True)
    installed = render_release(
        tagged_clone, "v0.7.0", answers, tmp_path / "installed", own_code=False
    )

    assert any("task_tags" in name or b"task_tags" in body for name, body in own.items())
    assert installed == own


@pytest.mark.usefixtures("git_identity")
def test_a_service_of_0_1_0_updates_to_0_7_0_as_a_freshrender_release(
    tagged_clone: Path, tmp_path: Path
) -> None:
    service = tmp_path / "service"
    render_release(tagged_clone, "v0.1.0", {}, service, own_code=False)
    commit_everything(service, "rendered at 0.1.0")
    fresh = render_release(tagged_clone, "v0.7.0", {}, tmp_path / "fresh", own_code=False)

    subprocess.run(
        [
            sys.executable,
            "-c",
            "import copier; copier.run_update('.', vcs_ref='v0.7.0', defaults=True, "
            "unsafe=True, quiet=True, overwrite=True)",
        ],
        cwd=service,
        check=True,
        capture_output=True,
    )

    updated = project_files(service)
    # The answer migration of 0.2.0 (author_name -> team) ran, and nothing else moved.
    assert updated == fresh


@pytest.mark.usefixtures("git_identity")
def test_a_service_nobody_touched_has_no_local_changes(tagged_clone: Path, tmp_path: Path) -> None:
    service = tmp_path / "service"
    render_release(tagged_clone, "v0.7.0", {"entities": MANY_TO_MANY}, service, own_code=False)
    commit_everything(service, "rendered at 0.7.0")

    assert local_changes(read_service(service)).files == []


def test_every_release_needs_only_what_the_generator_installs(tagged_clone: Path) -> None:
    ours = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    installed = {_distribution(requirement) for requirement in ours}
    for release in releases.releases(tagged_clone):
        theirs = tomllib.loads(git(tagged_clone, "show", f"{release.commit}:pyproject.toml"))
        needed = {_distribution(requirement) for requirement in theirs["project"]["dependencies"]}
        assert needed <= installed, (release.tag, needed - installed)


def _distribution(requirement: str) -> str:
    return canonicalize_name(Requirement(requirement).name)


# In-process: which code registers the filters.


def _environment(root: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader([str(root)]),
        extensions=[ReleaseExtension],
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - Copier renders code, not HTML
    )


def _release_copy(tmp_path: Path, name: str, patch: str | None) -> Path:
    root = tmp_path / name
    for path in (REPO / "generator").rglob("*.py"):
        relative = path.relative_to(REPO)
        if "__pycache__" not in relative.parts and "_template" not in relative.parts:
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(path.read_bytes())
    if patch is not None:
        naming = root / "generator" / "naming.py"
        naming.write_text(naming.read_text("utf-8") + patch, "utf-8")
    return root


def test_a_template_without_generator_code_uses_the_installed_filters(tmp_path: Path) -> None:
    assert render_extension(tmp_path) is FiltersExtension
    assert render_extension(None) is FiltersExtension


def test_the_same_sources_as_the_installed_ones_use_the_installed_module(tmp_path: Path) -> None:
    root = _release_copy(tmp_path, "same", patch=None)

    assert source_digest(root / "generator") == source_digest(REPO / "generator")
    assert render_extension(root) is FiltersExtension


def test_another_releases_code_registers_its_own_filters(tmp_path: Path) -> None:
    # Every form of import of its own package resolves to the release's copy.
    patch = (
        "\n\nimport generator\nimport generator.versions\nfrom generator import versions as v\n\n"
        "def kebab_case(value: str) -> str:\n"
        "    assert generator.versions is v\n"
        "    return 'release-' + value.lower()\n"
    )
    other = _release_copy(tmp_path, "other", patch)
    third = _release_copy(tmp_path, "third", patch.replace("release-", "third-"))

    assert _environment(other).from_string("{{ 'Ab' | kebab_case }}").render() == "release-ab"
    assert _environment(third).from_string("{{ 'Ab' | kebab_case }}").render() == "third-ab"
    # The installed code is untouched, and nothing was compiled into the checkouts.
    assert _environment(tmp_path).from_string("{{ 'Ab' | kebab_case }}").render() == "ab"
    assert render_extension(other) is not FiltersExtension
    assert not list(other.rglob("__pycache__"))
    assert "generator" not in render_extension(other).__module__.split(".")[0]


def test_this_checkout_s_version_means_one_thing() -> None:
    assert releases.release_problems(REPO) == []


@pytest.mark.usefixtures("git_identity")
def test_a_render_change_under_a_released_version_is_caught(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    (repository / "generator").mkdir(parents=True)
    (repository / "template").mkdir()
    version_file = repository / releases.VERSION_FILE
    changelog = repository / releases.CHANGELOG
    template = repository / "template" / "README.md.jinja"

    version_file.write_text('__version__ = "1.0.0"\n', "utf-8")
    changelog.write_text("# Changelog\n\n## 1.0.0\n\n- First.\n", "utf-8")
    template.write_text("# {{ project_name }}\n", "utf-8")
    commit_everything(repository, "release 1.0.0")
    assert releases.release_problems(repository) == []

    template.write_text("# {{ project_name }}, changed\n", "utf-8")
    commit_everything(repository, "a change, still calling itself 1.0.0")
    [problem] = releases.release_problems(repository)
    assert "changed since v1.0.0 (template/README.md.jinja)" in problem

    version_file.write_text('__version__ = "1.1.0.dev0"\n', "utf-8")
    changelog.write_text("# Changelog\n\n## Unreleased\n\n- Changed.\n\n## 1.0.0\n", "utf-8")
    commit_everything(repository, "open 1.1.0")
    assert releases.release_problems(repository) == []

    version_file.write_text('__version__ = "0.9.0.dev0"\n', "utf-8")
    assert releases.release_problems(repository) == [
        "0.9.0.dev0 is a development version below the newest release 1.0.0"
    ]


def test_an_old_release_takes_its_own_answers_through_blueprint_new(
    tagged_clone: Path, tmp_path: Path
) -> None:
    # 0.1.0 asked for author_name, which later releases renamed: its own rules decide.
    project = render(
        tmp_path / "old", {"author_name": "Ops"}, defaults=True, source=str(tagged_clone),
        vcs_ref="v0.1.0",
    )  # fmt: skip

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert answers["author_name"] == "Ops"
    assert answers["_commit"] == "v0.1.0"
