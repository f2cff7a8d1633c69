"""Many services at once: find them, tell where each stands, update the clean ones.

Status is cheap by design, so it runs over hundreds of services in seconds: it reads each
answers file, asks each template source for its release tags once, and counts the files
git says changed since the service's last render or update. Nothing is rendered.
"""

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
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
    UpdateOutcome,
    git,
    position,
    read_service,
    template_versions,
    uncommitted,
    update,
)
from generator.validate import OPENAPI_DOCUMENT, Report, validate_project

#: Branch an update of the fleet is committed on: ``blueprint/update-<version>``.
BRANCH_PREFIX: Final = "blueprint/update-"
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


@dataclass(frozen=True, slots=True)
class FleetResult:
    """What ``blueprint fleet update`` did to one service."""

    path: Path
    outcome: str  # "updated", "conflicts", "current", "skipped" or "failed"
    detail: str
    branch: str | None = None
    checks_passed: bool | None = None


def _checks(path: Path, branch: str, report: Callable[[Path], Report]) -> bool:
    """Run the service's checks on ``branch`` in a worktree of its own, then remove it.

    The checks export the OpenAPI document from the updated app; when it changed, the new
    document is committed on the branch, as part of the update.
    """
    with tempfile.TemporaryDirectory(prefix="blueprint-fleet-") as scratch:
        worktree = Path(scratch) / path.name
        git(path, "worktree", "add", "--quiet", str(worktree), branch)
        try:
            passed = report(worktree).passed
            if git(worktree, "status", "--porcelain", "--", OPENAPI_DOCUMENT).strip():
                git(worktree, "add", "--", OPENAPI_DOCUMENT)
                git(worktree, "commit", "--quiet", "-m", f"Regenerate {OPENAPI_DOCUMENT}")
            return passed
        finally:
            git(path, "worktree", "remove", "--force", str(worktree))


def _update_one(
    path: Path, to: str | None, *, validate: bool, report: Callable[[Path], Report]
) -> FleetResult:
    try:
        service = read_service(path)
        if dirty := uncommitted(path):
            return FleetResult(path, "skipped", f"uncommitted changes: {', '.join(dirty[:3])}")
        releases = template_versions(service.source)
        target = to or (releases[-1] if releases else None)
        if target is None:
            return FleetResult(path, "skipped", "the template source has no release tags")
        if target == service.version:
            return FleetResult(path, "current", f"already on {target}")
        original = git(path, "rev-parse", "--abbrev-ref", "HEAD").strip()
        branch = BRANCH_PREFIX + target
        git(path, "switch", "--quiet", "--create", branch)
        try:
            outcome: UpdateOutcome = update(path, {}, target)
            git(path, "add", "--all")
            conflicts = ", ".join(outcome.conflicts)
            title = f"Update to Service Blueprint {target}"
            message = title + (f" (conflicts: {conflicts})" if conflicts else "")
            git(path, "commit", "--quiet", "--allow-empty", "-m", message)
        finally:
            git(path, "switch", "--quiet", original)
        passed = _checks(path, branch, report) if validate and not outcome.conflicts else None
    except (BlueprintError, subprocess.CalledProcessError) as error:
        detail = error.stderr.strip() if isinstance(error, subprocess.CalledProcessError) else ""
        return FleetResult(path, "failed", detail or str(error))
    if outcome.conflicts:
        return FleetResult(path, "conflicts", conflicts, branch)
    return FleetResult(path, "updated", f"{service.version} → {target}", branch, passed)


def fleet_update(
    roots: Iterable[Path],
    to: str | None = None,
    *,
    validate: bool = True,
    on_done: Callable[[FleetResult], None] | None = None,
) -> list[FleetResult]:
    """Update every clean service under ``roots`` on its own branch, one by one.

    A dirty service is skipped and left as it was. Each update is committed on the
    branch ``blueprint/update-<version>`` (conflict markers included, named in the
    commit message), the service's own checks run on it unless there were conflicts,
    and the service's working tree goes back to the branch it was on.
    """
    results = []
    for path in find_services(roots):
        # The update may change the API: the checks write the service's document anew.
        checks = partial(validate_project, refresh_openapi=True)
        result = _update_one(path, to, validate=validate, report=checks)
        if on_done is not None:
            on_done(result)
        results.append(result)
    return results
