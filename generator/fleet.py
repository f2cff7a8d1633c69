"""Many services at once: find them, tell where each stands, update the clean ones.

Status is cheap by design, so it runs over hundreds of services in seconds: it reads each
answers file, asks each template source for its release tags once, and counts the files
git says changed since the service's last render or update. Nothing is rendered.
"""

import os
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

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
    read_service,
    template_versions,
)

_WORKERS: Final = 8


def _is_ours(answers_file: Path) -> bool:
    """Whether the answers file may be this template's: unreadable ones are listed too."""
    try:
        recorded = yaml.safe_load(answers_file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True  # listed with the reason: nobody can tell whose it is
    return isinstance(recorded, dict) and set(recorded) >= IDENTIFYING_QUESTIONS


def find_services(roots: Iterable[Path]) -> list[Path]:
    """Every folder under ``roots`` rendered from this template, sorted, each once.

    A folder whose answers file cannot be read is found too (its report says why).
    """
    found: set[Path] = set()
    for root in roots:
        for folder, folders, names in os.walk(root):
            if ANSWERS_FILE in names and _is_ours(Path(folder) / ANSWERS_FILE):
                found.add(Path(folder).resolve())
                folders[:] = []  # a service's own folders hold no other service
                continue
            folders[:] = sorted(name for name in folders if name not in PRUNED)
    return sorted(found)


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
    """Files changed (or added) since the commit that last wrote the answers file."""
    try:
        rendered = git(path, "log", "-1", "--format=%H", "--", ANSWERS_FILE).strip()
        if not rendered:
            return None
        changed = set(git(path, "diff", "--name-only", rendered).split())
        changed |= set(git(path, "ls-files", "--others", "--exclude-standard").split())
    except (subprocess.CalledProcessError, OSError):
        return None
    return len(changed)


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


def _unreadable(path: Path, error: BlueprintError) -> ServiceStatus:
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
    """Where every service under ``roots`` stands; one that cannot be read says why."""
    services: list[Service] = []
    unreadable: list[ServiceStatus] = []
    for path in find_services(roots):
        try:
            services.append(read_service(path, IDENTIFYING_QUESTIONS))
        except BlueprintError as error:
            unreadable.append(_unreadable(path, error))
    sources = sorted({service.source for service in services})
    with ThreadPoolExecutor(_WORKERS) as pool:
        versions = dict(zip(sources, pool.map(_releases, sources), strict=True))
        rows = list(
            pool.map(
                lambda service: service_status(
                    service, versions[service.source], _changed_since_render(service.path)
                ),
                services,
            )
        )
    return sorted(rows + unreadable, key=lambda row: (row.name, row.path))
