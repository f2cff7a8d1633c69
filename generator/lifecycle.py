"""A rendered service's life after the first render: where it stands, and updating it.

Every function here reads a project's ``.copier-answers.yml`` (what Copier recorded: the
template's source, the version rendered, the answers) and the project's git history. Only
:func:`update` writes, and only to a clean git working tree, through ``copier update``.
"""

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from packaging.version import InvalidVersion, Version

from generator import schema
from generator.errors import DirtyProjectError, NotAServiceError, TemplateError
from generator.guards import (
    CONFLICT_MARKER,
    Missed,
    committed_conflicts,
    contents,
    keep_deleted_edits,
    missed_changes,
    renames,
)
from generator.validate import OPENAPI_DOCUMENT

ANSWERS_FILE: Final = ".copier-answers.yml"
#: Questions only this template asks; an answers file without them is another template's.
OUR_QUESTIONS: Final = frozenset({"project_slug", "package_name", "entities", "python_version"})
#: Questions every release of this template asked: enough to tell its answers files apart,
#: also those written before ``entities`` existed.
IDENTIFYING_QUESTIONS: Final = frozenset({"project_slug", "package_name"})
#: ``git describe`` of a commit past a tag, as Copier records it: ``v0.7.0-9-g1a2b3c4``.
_DESCRIBED: Final = re.compile(r"^(?P<tag>.+)-(?P<commits>\d+)-g(?P<sha>[0-9a-f]{4,40})$")
#: Copier writes these around both sides of a conflict it could not resolve.
#: Copier's shortcuts for hosted repositories.
_SHORTCUTS: Final = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
#: How many uncommitted paths an error message lists.
_LISTED: Final = 5
#: Folders never searched for services, nor compared with a fresh render.
PRUNED: Final = frozenset({".git", ".venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"})


@dataclass(frozen=True, slots=True)
class Service:
    """What ``.copier-answers.yml`` recorded about one rendered service."""

    path: Path
    source: str
    version: str | None
    answers: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The service's slug."""
        return str(self.answers.get("project_slug", self.path.name))

    @property
    def entities(self) -> list[str]:
        """Names of its entities, in order."""
        entities = self.answers.get("entities") or []
        return [str(entity.get("name")) for entity in entities if isinstance(entity, dict)]


#: libyaml's parser where PyYAML was built with it: a fleet report reads a thousand answers
#: files, and the pure-Python parser took most of its time.
_YAML_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_answers(answers_file: Path) -> object:
    """What ``answers_file`` holds, parsed as YAML (safe types only).

    Raises:
        NotAServiceError: The file is not valid UTF-8 YAML.
        OSError: It cannot be read.
    """
    try:
        return yaml.load(answers_file.read_text("utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        message = f"{answers_file} is not valid UTF-8 YAML: {str(error).splitlines()[0]}"
        raise NotAServiceError(message) from error


def read_service(path: Path, required: frozenset[str] = OUR_QUESTIONS) -> Service:
    """Read what Copier recorded in ``path``.

    Args:
        path: The service's root.
        required: The answers it must hold (fleet reports read early releases' too).

    Raises:
        NotAServiceError: No answers file, or one written by another template.
    """
    answers_file = path / ANSWERS_FILE
    if not answers_file.is_file():
        message = f"{path} is not a rendered service: it has no {ANSWERS_FILE}"
        raise NotAServiceError(message)
    return service_from(path, read_answers(answers_file), required)


def service_from(path: Path, recorded: object, required: frozenset[str] = OUR_QUESTIONS) -> Service:
    """The service at ``path`` whose answers file held ``recorded``.

    Raises:
        NotAServiceError: The answers are another template's, or name no source.
    """
    if not isinstance(recorded, dict) or not set(recorded) >= required:
        message = f"{path} was not made from this template (its {ANSWERS_FILE} lacks our answers)"
        raise NotAServiceError(message)
    source = recorded.get("_src_path")
    if not isinstance(source, str) or not source:
        message = f"{path / ANSWERS_FILE} does not record the template's source (_src_path)"
        raise NotAServiceError(message)
    commit = recorded.get("_commit")
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    return Service(path, source, str(commit) if commit else None, answers)


def _git_binary() -> str:
    git = shutil.which("git")
    if git is None:
        message = "git is not installed; updating and checking services need it"
        raise TemplateError(message)
    return git


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return what it printed.

    Raises:
        subprocess.CalledProcessError: git failed.
    """
    completed = subprocess.run(
        [_git_binary(), *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return completed.stdout


def repository_location(source: str) -> str:
    """Where git finds ``source``: Copier's ``gh:``/``gl:`` shortcuts expanded."""
    source = source.removeprefix("git+")
    for shortcut, prefix in _SHORTCUTS.items():
        if source.startswith(shortcut):
            return prefix + source.removeprefix(shortcut)
    if "://" in source or "@" in source:
        return source
    return str(Path(source).expanduser())


def _version(tag: str) -> Version | None:
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def template_versions(source: str) -> list[str]:
    """The release tags of the template at ``source``, oldest first (PEP 440 order).

    Raises:
        TemplateError: ``source`` no longer resolves to a git repository.
    """
    try:
        listing = subprocess.run(
            [_git_binary(), "ls-remote", "--tags", "--refs", repository_location(source)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        repository = repository_location(source)
        if Path(repository).is_dir():
            message = (
                f"the template source {source!r} is a folder, not a git repository: "
                "releases are git tags, so render from a git copy of the template "
                "(blueprint new --template <git URL or clone>) to check or update"
            )
        else:
            message = f"the template source {source!r} no longer resolves to a git repository"
        raise TemplateError(message) from error
    tags = [line.split("refs/tags/", 1)[1] for line in listing.splitlines() if "refs/tags/" in line]
    versioned = [(version, tag) for tag in tags if (version := _version(tag)) is not None]
    return [tag for _, tag in sorted(versioned)]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a recorded version stands among the template's releases.

    Attributes:
        state: ``current`` (the newest release), ``behind`` (newer releases exist),
            ``ahead`` (commits past the newest release, not yet released) or ``unknown``.
        behind: How many releases are newer (``None`` unless current or behind).
        base: The release the version is, or builds on.
        commits: Commits past ``base`` (0 for a release itself).
        reason: Why the state is ``unknown``.
    """

    state: str
    behind: int | None = None
    base: str | None = None
    commits: int = 0
    reason: str | None = None

    @property
    def label(self) -> str:
        """For people: ``current``, ``behind 2``, ``ahead of v0.7.0 (+9)``, ``unknown``."""
        if self.state == "behind":
            return f"behind {self.behind}"
        if self.state == "ahead":
            return f"ahead of {self.base} (+{self.commits})"
        return self.state


def position(version: str | None, releases: list[str]) -> Position:
    """Where ``version`` (a release tag, or ``git describe`` past one) stands in ``releases``."""
    if not version:
        return Position("unknown", reason="no template version recorded (_commit)")
    described = _DESCRIBED.match(version)
    base, commits = (described["tag"], int(described["commits"])) if described else (version, 0)
    released = _version(base)
    if released is None:
        reason = f"{version!r} is not a release nor a commit past one"
        return Position("unknown", base=None, reason=reason)
    if not releases:
        return Position("unknown", base=base, commits=commits, reason="the template has no release")
    newer = sum(1 for tag in releases if Version(tag) > released)
    if newer:
        return Position("behind", newer, base, commits)
    if commits:
        return Position("ahead", None, base, commits)
    return Position("current", 0, base)


def uncommitted(path: Path) -> list[str]:
    """Paths with uncommitted changes (untracked files included, ignored ones not).

    Raises:
        NotAServiceError: ``path`` is not a git working tree.
    """
    try:
        status = git(path, "status", "--porcelain", "--untracked-files=all")
    except (subprocess.CalledProcessError, OSError) as error:
        message = f"{path} is not a git working tree; commit the service to git first"
        raise NotAServiceError(message) from error
    return [line[3:] for line in status.splitlines() if line.strip()]


def _tracked_files(path: Path) -> dict[str, bytes]:
    listing = git(path, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    files = {}
    for name in filter(None, listing.split("\0")):
        file = path / name
        if file.is_file():
            files[name] = file.read_bytes()
    return files


def _all_files(path: Path) -> dict[str, bytes]:
    files = {}
    for root, folders, names in os.walk(path):
        folders[:] = [folder for folder in folders if folder not in PRUNED]
        for name in names:
            file = Path(root) / name
            files[file.relative_to(path).as_posix()] = file.read_bytes()
    return files


@dataclass(frozen=True, slots=True)
class LocalChanges:
    """How a service differs from a fresh render of its recorded version and answers."""

    modified: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """Every differing path, sorted."""
        return sorted([*self.modified, *self.added, *self.removed])


def render_recorded(service: Service, destination: Path) -> Path:
    """Render the service's recorded version with its recorded answers into ``destination``.

    Raises:
        TemplateError: The recorded source or version cannot be rendered.
    """
    import copier  # noqa: PLC0415 - needed only when rendering; reports start faster

    try:
        worker = copier.run_copy(
            service.source,
            destination,
            data=dict(service.answers),
            defaults=True,
            vcs_ref=service.version,
            unsafe=True,
            quiet=True,
        )
    except (copier.errors.CopierError, ValueError, subprocess.CalledProcessError) as error:
        message = f"cannot render {service.source} at {service.version}: {error}"
        raise TemplateError(message) from error
    return Path(worker.dst_path)


def local_changes(service: Service) -> LocalChanges:
    """Compare the service with a fresh render of what it recorded (nothing is changed).

    Raises:
        TemplateError: The recorded version cannot be rendered.
    """
    return _compared(service)[0]


def _compared(service: Service) -> tuple[LocalChanges, dict[str, bytes]]:
    """The service's local changes, and the fresh render's bytes of the files it removed."""
    with tempfile.TemporaryDirectory(prefix="blueprint-check-") as scratch:
        fresh = _all_files(render_recorded(service, Path(scratch) / "fresh"))
    # The service writes its OpenAPI document itself; it is its own, not a customization.
    fresh.pop(OPENAPI_DOCUMENT, None)
    ours = _tracked_files(service.path)
    ours.pop(OPENAPI_DOCUMENT, None)
    changes = LocalChanges(
        modified=sorted(name for name in fresh.keys() & ours.keys() if fresh[name] != ours[name]),
        added=sorted(ours.keys() - fresh.keys()),
        removed=sorted(fresh.keys() - ours.keys()),
    )
    return changes, {name: fresh[name] for name in changes.removed}


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a service stands against its template's releases."""

    service: Service
    releases: list[str]
    changes: LocalChanges
    #: Files committed with an update's conflict markers still in them.
    conflicts: list[str] = field(default_factory=list)

    @property
    def latest(self) -> str | None:
        """The newest release of the template."""
        return self.releases[-1] if self.releases else None

    @property
    def position(self) -> Position:
        """Where the service's recorded version stands among the releases."""
        return position(self.service.version, self.releases)


def check(path: Path) -> Standing:
    """Report how far behind the newest release the service at ``path`` is, and its edits.

    Raises:
        NotAServiceError: ``path`` is not a service of this template.
        TemplateError: The template's source no longer resolves, or cannot be rendered.
    """
    service = read_service(path, IDENTIFYING_QUESTIONS)
    versions = template_versions(service.source)
    if not _is_work_tree(path):
        message = f"{path} is not a git working tree: commit the service to git to check it"
        raise NotAServiceError(message)
    changes = local_changes(service)
    return Standing(service, versions, changes, committed_conflicts(path))


def _is_work_tree(path: Path) -> bool:
    try:
        return git(path, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except subprocess.CalledProcessError:
        return False


@dataclass(frozen=True, slots=True)
class UpdateOutcome:
    """What ``copier update`` did to a service."""

    service: Service
    previous: str | None
    changed: list[str]
    conflicts: list[str]
    #: Edited files the new release deletes: the service's version is kept as ``<file>.orig``.
    kept: list[str] = field(default_factory=list)
    #: Files the service deleted or renamed that the release changed: Copier skipped them.
    missed: list[Missed] = field(default_factory=list)


def outcome_json(outcome: UpdateOutcome) -> dict[str, object]:
    """What ``blueprint update --json`` prints (``docs/fleet-json.md``)."""
    return {
        "service": outcome.service.name,
        "previous": outcome.previous,
        "version": outcome.service.version,
        "changed": outcome.changed,
        "conflicts": outcome.conflicts,
        "kept": outcome.kept,
        "missed": [{"path": item.path, "renamed_to": item.renamed_to} for item in outcome.missed],
    }


def _conflicted(path: Path, names: Iterable[str]) -> list[str]:
    found = []
    for name in names:
        file = path / name
        if file.is_file() and CONFLICT_MARKER.encode() in file.read_bytes():
            found.append(name)
    return sorted(found)


def record_entities(
    path: Path, data: Mapping[str, object], to: str | None = None
) -> dict[str, object]:
    """The answers an update gives Copier: a new ``entities`` with its history snapshot.

    ``data["entities"]`` may carry ``renamed_from`` and ``removed``: the snapshot keeps
    them (the migrations need them), the ``entities`` answer does not. The history starts
    from the service's recorded one, or from its recorded ``entities`` for a service
    rendered before the history existed. The template steps of the releases up to ``to``
    (a release tag; every step this generator knows otherwise) that the history lacks
    come before the new snapshot, as the releases' answer migrations record them. An
    answer the rules refuse is passed on as it is, for the checks to name the rule.
    """
    answers = dict(data)
    if "entities" not in answers or "schema_history" in answers:
        return answers
    new = answers["entities"]
    if isinstance(new, str):
        try:
            new = yaml.safe_load(new)
        except yaml.YAMLError:
            return answers
    recorded = read_service(path).answers
    release = to if to is not None and to.removeprefix("v")[:1].isdigit() else None
    history = schema.record(recorded.get("schema_history"), recorded.get("entities"), new, release)
    # The same data model written another way keeps the recorded answer: nothing changes.
    answers["entities"] = schema.live(schema.last_snapshot(history))
    answers["schema_history"] = history
    return answers


def update(path: Path, data: Mapping[str, object], to: str | None = None) -> UpdateOutcome:
    """Update the service at ``path`` to release ``to`` (the newest by default).

    Conflicts are written inline (``<<<<<<< before updating``) and reported, never
    resolved silently. Nothing is written unless the working tree is clean.

    Raises:
        NotAServiceError: ``path`` is not a service of this template, or not in git.
        DirtyProjectError: The working tree has uncommitted changes.
        TemplateError: The template's source no longer resolves, or Copier failed.
    """
    service = read_service(path, IDENTIFYING_QUESTIONS)
    if dirty := uncommitted(path):
        listed = ", ".join(dirty[:_LISTED]) + (" …" if len(dirty) > _LISTED else "")
        message = f"{path} has uncommitted changes ({listed}); commit or stash them first"
        raise DirtyProjectError(message)
    template_versions(service.source)  # fails early, and clearly, if the source is gone
    import copier  # noqa: PLC0415 - needed only when updating; reports start faster

    # Copier removes a file the new release deletes, edited or not: keep the edits. It
    # skips a release's change to a file the service deleted or renamed: name those.
    try:
        changes, gone = _compared(service)
    except TemplateError:  # the recorded version no longer renders: Copier will say so
        changes, gone = LocalChanges(), {}
    edited = contents(path, changes.modified)
    moved = renames(path, rendered) if gone and (rendered := render_commit(path)) else {}
    try:
        copier.run_update(
            path,
            data=record_entities(path, data, to),
            vcs_ref=to,
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
            conflict="inline",
        )
    except ValueError as error:
        raise TemplateError(str(error)) from error
    except copier.errors.CopierError as error:
        raise TemplateError(str(error)) from error
    kept = keep_deleted_edits(path, edited)
    changed = uncommitted(path)
    conflicts = _conflicted(path, changed)
    updated = read_service(path)
    missed = []
    if gone:
        with tempfile.TemporaryDirectory(prefix="blueprint-release-") as scratch:
            released = render_recorded(updated, Path(scratch) / "released")
            missed = missed_changes(gone, released, moved)
    return UpdateOutcome(updated, service.version, changed, conflicts, kept, missed)


def render_commit(path: Path) -> str | None:
    """The commit that last wrote the answers file (the last render or update), if any."""
    try:
        return git(path, "log", "-1", "--format=%H", "--", ANSWERS_FILE).strip() or None
    except subprocess.CalledProcessError:
        return None
