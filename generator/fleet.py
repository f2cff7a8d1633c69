"""Many services at once: find them, tell where each stands, update the clean ones.

Status is cheap by design, so it runs over hundreds of services in seconds: it reads each
answers file, asks each template source for its release tags once, and counts the files
git says changed since the service's last render or update. Nothing is rendered.
"""

import os
import subprocess
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from generator.errors import BlueprintError
from generator.lifecycle import (
    ANSWERS_FILE,
    IDENTIFYING_QUESTIONS,
    OUR_QUESTIONS,
    PRUNED,
    Position,
    Service,
    git,
    position,
    read_answers,
    render_commit,
    service_from,
    template_versions,
)

_WORKERS: Final = 8


def _scan(roots: Iterable[Path]) -> Iterator[tuple[Path, object]]:
    """Every folder under ``roots`` whose answers file may be this template's, once each.

    Each comes with what its answers file holds, read once, or with the error reading it:
    nobody can tell whose such a file is, so it is listed with the reason.
    """
    seen: set[Path] = set()
    for root in roots:
        for folder, folders, names in os.walk(root):
            if ANSWERS_FILE in names:
                try:
                    recorded = read_answers(Path(folder) / ANSWERS_FILE)
                except (OSError, BlueprintError) as error:
                    recorded = error
                if not isinstance(recorded, dict) or set(recorded) >= IDENTIFYING_QUESTIONS:
                    folders[:] = []  # a service's own folders hold no other service
                    if (path := Path(folder).resolve()) not in seen:
                        seen.add(path)
                        yield path, recorded
                    continue
            folders[:] = sorted(name for name in folders if name not in PRUNED)


def find_services(roots: Iterable[Path]) -> list[Path]:
    """Every folder under ``roots`` rendered from this template, sorted, each once.

    A folder whose answers file cannot be read is found too (its report says why).
    """
    return sorted(path for path, _ in _scan(roots))


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """Where one service stands: a row of ``fleet status``, and what ``check`` reports.

    ``--json`` prints these fields (``docs/fleet-json.md``); ``check --json`` adds the
    service's local changes.
    """

    name: str
    path: str
    team: str
    version: str | None
    latest: str | None
    state: str
    behind: int | None
    base: str | None
    commits: int
    database: str
    cache: str
    entities: list[str]
    changed_files: int | None
    problem: str | None = None

    @property
    def standing(self) -> str:
        """For people: ``current``, ``behind 2``, ``ahead of v0.7.0 (+9)``, ``unknown``."""
        return Position(self.state, self.behind, self.base, self.commits).label


def _changed_since_render(path: Path) -> int | None:
    """Files changed, added or removed since the commit that last wrote the answers file.

    Two git processes for a service whose last commit is its render or update (``status``
    and ``log``), a third for one with commits since (the committed changes): a fleet
    report runs these for a thousand services. Only the service's folder counts (``-- .``):
    a service may share its repository with others.
    """
    try:
        head, changed = _worktree_changes(
            git(path, "status", "--porcelain=v2", "--branch", "-z", "-uall", "--", ".")
        )
        rendered = render_commit(path)
        if rendered is None:
            return None
        if rendered != head:
            committed = git(path, "diff", "--name-only", "-z", rendered, "HEAD", "--", ".")
            changed.update(committed.split("\0"))
    except (subprocess.CalledProcessError, OSError):
        return None
    changed.discard("")
    return len(changed)


def _worktree_changes(status: str) -> tuple[str | None, set[str]]:
    """The commit checked out, and the paths ``git status --porcelain=v2 -z`` lists.

    A rename counts once, by its new path, as ``git diff --name-only`` lists it.
    """
    head = None
    paths: set[str] = set()
    entries = iter(status.split("\0"))
    for entry in entries:
        kind, _, rest = entry.partition(" ")
        if kind == "#" and rest.startswith("branch.oid "):
            head = rest.removeprefix("branch.oid ")
        elif kind == "1":
            paths.add(rest.split(" ", 7)[7])
        elif kind == "2":
            paths.add(rest.split(" ", 8)[8])
            next(entries, None)  # the path it was renamed from
        elif kind == "u":
            paths.add(rest.split(" ", 9)[9])
        elif kind == "?":
            paths.add(rest)
    return head, paths


def service_status(
    service: Service, releases: list[str] | str, changed_files: int | None
) -> ServiceStatus:
    """The report of ``service``, given its source's releases (or why they are unknown)."""
    problems = []
    if isinstance(releases, str):
        where = Position("unknown", reason=releases)
        problems.append(releases)
    else:
        where = position(service.version, releases)
        if where.reason:
            problems.append(where.reason)
    if missing := sorted(OUR_QUESTIONS - set(service.answers)):
        problems.append(
            f"answers of an early release (no {', '.join(missing)}): blueprint update brings them"
        )
    return ServiceStatus(
        name=service.name,
        path=str(service.path),
        team=str(service.answers.get("team", service.answers.get("author_name", ""))),
        version=service.version,
        latest=releases[-1] if isinstance(releases, list) and releases else None,
        state=where.state,
        behind=where.behind,
        base=where.base,
        commits=where.commits,
        database=str(service.answers.get("database", "sqlite")),
        cache=str(service.answers.get("cache", "memory")),
        entities=service.entities,
        changed_files=changed_files,
        problem="; ".join(problems) or None,
    )


def _unreadable(path: Path, error: Exception) -> ServiceStatus:
    return ServiceStatus(
        name=path.name,
        path=str(path),
        team="",
        version=None,
        latest=None,
        state="unknown",
        behind=None,
        base=None,
        commits=0,
        database="",
        cache="",
        entities=[],
        changed_files=None,
        problem=str(error),
    )


def _releases(source: str) -> list[str] | str:
    try:
        return template_versions(source)
    except BlueprintError as error:
        return str(error)


def fleet_status(roots: Iterable[Path]) -> list[ServiceStatus]:
    """Where every service under ``roots`` stands; one that cannot be read says why.

    The answers files are read first, then each service's git questions (and each
    source's releases) are asked in worker threads: reading YAML while the workers start
    git processes slows both (they take turns on the interpreter lock).
    """
    services: list[Service] = []
    unreadable: list[ServiceStatus] = []
    for path, recorded in _scan(roots):
        try:
            if isinstance(recorded, Exception):
                raise recorded
            services.append(service_from(path, recorded, IDENTIFYING_QUESTIONS))
        except (OSError, BlueprintError) as error:
            unreadable.append(_unreadable(path, error))
    sources = sorted({service.source for service in services})
    with ThreadPoolExecutor(_WORKERS) as pool:
        releases = dict(zip(sources, pool.map(_releases, sources), strict=True))
        changed = pool.map(_changed_since_render, [service.path for service in services])
        rows = [
            service_status(service, releases[service.source], files)
            for service, files in zip(services, changed, strict=True)
        ]
    return sorted(rows + unreadable, key=lambda row: (row.name, row.path))
