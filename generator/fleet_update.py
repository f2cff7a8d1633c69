"""``blueprint fleet update``: every clean service updated on a branch of its own, in parallel.

Each service is updated in a git worktree of its own (the service's checkout is never
switched or written), on ``blueprint/update-<version>``:

- the update itself runs in a process of its own (Copier changes the process's working
  directory while it renders, so two updates cannot share one), several at once;
- a branch left by an earlier run for the same version is refreshed when it holds only
  what such a run commits, and left alone (and reported) when someone added to it;
- a failure removes the worktree and the branch it made: nothing stray is left;
- the service's checks run in the worktree; a failed check names its step, and every
  run's output is kept in ``<git dir>/blueprint/update-<version>.log``.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from generator.errors import BlueprintError
from generator.fleet import find_services
from generator.guards import Missed
from generator.lifecycle import (
    IDENTIFYING_QUESTIONS,
    Service,
    git,
    outcome_json,
    position,
    read_service,
    template_versions,
    uncommitted,
    update,
)
from generator.pull_request import description, template_changelog
from generator.pull_request import push as push_branch
from generator.validate import OPENAPI_DOCUMENT, Report, validate_project

#: Branch an update of the fleet is committed on: ``blueprint/update-<version>``.
BRANCH_PREFIX: Final = "blueprint/update-"
#: The subjects of the commits an update run makes: a branch with only these is ours.
TITLE: Final = "Update to Service Blueprint "
REGENERATED: Final = f"Regenerate {OPENAPI_DOCUMENT}"


@dataclass(frozen=True, slots=True)
class FleetResult:
    """What ``blueprint fleet update`` did to one service."""

    path: Path
    #: ``updated``, ``conflicts``, ``current``, ``skipped``, ``kept`` or ``failed``.
    outcome: str
    detail: str
    branch: str | None = None
    #: ``None`` when the checks did not run (``--no-validate``, or conflicts).
    checks_passed: bool | None = None
    #: The checks that failed, by step name.
    failed_steps: list[str] = field(default_factory=list)
    #: Where the checks' output (or the failure) was written.
    log: Path | None = None
    #: The pull-request description (``--push``), and whether the branch was pushed.
    description: Path | None = None
    pushed: bool = False
    seconds: float = 0.0
    #: Edited files the release deletes, kept as ``<file>.orig``.
    kept: list[str] = field(default_factory=list)
    #: Files the service deleted or renamed that the release changed (Copier skipped
    #: them): ``a.py`` or ``a.py (renamed to b.py)``.
    missed: list[str] = field(default_factory=list)


def _kept(path: Path, target: str, suffix: str) -> Path:
    """``<git dir>/blueprint/update-<version><suffix>``: never committed, kept per service."""
    common = Path(git(path, "rev-parse", "--git-common-dir").strip())
    folder = (common if common.is_absolute() else path / common) / "blueprint"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"update-{target}{suffix}"


@dataclass(frozen=True, slots=True)
class Push:
    """``--push``: where the update branches go."""

    remote: str = "origin"


def _publish(service: Service, result: FleetResult, target: str, push: Push) -> FleetResult:
    """Write the pull-request description, then push the branch.

    The template's CHANGELOG is read at the target release; if it cannot be fetched, the
    description says so instead of failing the update.
    """
    assert result.branch is not None  # noqa: S101 - only updated or conflicted services
    path = service.path
    try:
        changelog = template_changelog(service.source, target)
    except subprocess.CalledProcessError:
        changelog = ""
    text = description(
        service=service.name,
        previous=service.version,
        target=target,
        changelog=changelog,
        conflicts=result.detail.split(", ") if result.outcome == "conflicts" else [],
        failed_steps=None if result.checks_passed is None else result.failed_steps,
        kept=result.kept,
        missed=result.missed,
    )
    written = _kept(path, target, ".md")
    written.write_text(text, "utf-8")
    try:
        push_branch(path, result.branch, push.remote)
    except subprocess.CalledProcessError as error:
        reason = f"push to {push.remote} failed: {error.stderr.strip()}"
        return replace(result, outcome="failed", detail=reason, description=written)
    return replace(result, description=written, pushed=True)


def _write_log(log: Path, report: Report) -> None:
    parts = [
        f"== {result.step.name} ({'passed' if result.passed else 'FAILED'}, "
        f"{result.seconds:.1f} s): uv {' '.join(result.step.uv_args)}\n{result.output}"
        for result in report.results
    ]
    log.write_text("\n".join(parts), "utf-8")


def _only_ours(path: Path, branch: str) -> bool:
    """Whether every commit of ``branch`` past the checkout's HEAD is one a run made."""
    subjects = git(path, "log", "--format=%s", f"HEAD..{branch}").splitlines()
    return all(s.startswith(TITLE) or s == REGENERATED for s in subjects)


def _branch_exists(path: Path, branch: str) -> bool:
    listed = git(path, "branch", "--list", branch)
    return bool(listed.strip())


@dataclass(frozen=True, slots=True)
class _Updated:
    """What the update in its own process reported (``python -m generator.fleet_update``)."""

    conflicts: list[str]
    kept: list[str]
    missed: list[str]


def _update_in_process(worktree: Path, target: str) -> _Updated:
    """Run the update in a process of its own; return what it reported.

    Raises:
        BlueprintError: The update failed (its message).
    """
    command = [sys.executable, "-m", "generator.fleet_update", str(worktree), target]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BlueprintError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    outcome = json.loads(done.stdout)
    missed = [str(Missed(**entry)) for entry in outcome["missed"]]
    return _Updated(list(outcome["conflicts"]), list(outcome["kept"]), missed)


def _left_alone(
    path: Path, version: str | None, target: str | None, to: str | None
) -> FleetResult | None:
    """Why this service is not updated now (``None``: it is).

    ``to``: the version asked for (``None``: the newest release, which is ``target``).
    """
    if dirty := uncommitted(path):
        return FleetResult(path, "skipped", f"uncommitted changes: {', '.join(dirty[:3])}")
    if target is None:
        return FleetResult(path, "skipped", "the template source has no release tags")
    if target == version:
        return FleetResult(path, "current", f"already on {target}")
    where = position(version, [target])
    if where.state in {"current", "ahead"}:  # on a commit past the target: never go back
        label = f"{where.base} (+{where.commits})" if where.commits else str(where.base)
        outcome = "current" if where.state == "ahead" and to is None else "skipped"
        return FleetResult(path, outcome, f"already past {target}: on {label}")
    branch = BRANCH_PREFIX + target
    if _branch_exists(path, branch) and not _only_ours(path, branch):
        return FleetResult(path, "kept", f"{branch} has commits of its own: left as it is", branch)
    return None


def _keep_if_same(path: Path, branch: str, earlier: str, result: FleetResult) -> FleetResult:
    """Put an earlier run's commits back when this run made the same files.

    The branch (and a pull request made from it) then only moves when the update does.
    """
    if git(path, "rev-parse", f"{branch}^{{tree}}") != git(
        path, "rev-parse", f"{earlier}^{{tree}}"
    ):
        return result
    git(path, "branch", "--quiet", "--force", branch, earlier)
    return replace(result, detail=f"{result.detail} (as the last run made it)")


def _update_one(
    path: Path,
    to: str | None,
    *,
    validate: bool,
    report: Callable[[Path], Report],
    push: Push | None = None,
) -> FleetResult:
    try:
        service = read_service(path, IDENTIFYING_QUESTIONS)
        releases = template_versions(service.source)
        target = to or (releases[-1] if releases else None)
        if (reason := _left_alone(path, service.version, target, to)) is not None:
            return reason
        assert target is not None  # noqa: S101 - _left_alone skips a source without releases
        branch = BRANCH_PREFIX + target
        earlier = None
        if _branch_exists(path, branch):  # an earlier run's: made again
            earlier = git(path, "rev-parse", branch).strip()
            git(path, "branch", "--quiet", "-D", branch)
        result = _on_branch(path, service.version, target, validate=validate, report=report)
        if earlier is not None and result.branch is not None:
            result = _keep_if_same(path, branch, earlier, result)
    except (BlueprintError, subprocess.CalledProcessError) as error:
        detail = error.stderr.strip() if isinstance(error, subprocess.CalledProcessError) else ""
        return FleetResult(path, "failed", detail or str(error))
    if push is not None and result.outcome in {"updated", "conflicts"}:
        return _publish(service, result, target, push)
    return result


def _on_branch(
    path: Path,
    previous: str | None,
    target: str,
    *,
    validate: bool,
    report: Callable[[Path], Report],
) -> FleetResult:
    """Update in a new worktree on the update branch; remove the branch if anything fails."""
    branch = BRANCH_PREFIX + target
    log = _kept(path, target, ".log")
    detail = f"{previous or 'unversioned'} → {target}"
    with tempfile.TemporaryDirectory(prefix="blueprint-fleet-") as scratch:
        worktree = Path(scratch) / path.name
        git(path, "worktree", "add", "--quiet", "-b", branch, str(worktree), "HEAD")
        try:
            updated = _update_in_process(worktree, target)
            if updated.kept:
                kept = ", ".join(updated.kept)
                detail += f"; edited files the release deletes kept as .orig: {kept}"
            if updated.missed:
                missed = ", ".join(updated.missed)
                detail += f"; release changes to files deleted or renamed here: {missed}"
            git(worktree, "add", "--all")
            listed = ", ".join(updated.conflicts)
            message = TITLE + target + (f" (conflicts: {listed})" if listed else "")
            git(worktree, "commit", "--quiet", "--allow-empty", "-m", message)
            if updated.conflicts:
                return FleetResult(
                    path, "conflicts", listed, branch, kept=updated.kept, missed=updated.missed
                )
            if not validate:
                return FleetResult(
                    path, "updated", detail, branch, kept=updated.kept, missed=updated.missed
                )
            checked = report(worktree)
            _write_log(log, checked)
            if git(worktree, "status", "--porcelain", "--", OPENAPI_DOCUMENT).strip():
                git(worktree, "add", "--", OPENAPI_DOCUMENT)
                git(worktree, "commit", "--quiet", "-m", REGENERATED)
        except (BlueprintError, subprocess.CalledProcessError) as error:
            # Nothing stray: the worktree and the branch this run made go.
            git(path, "worktree", "remove", "--force", str(worktree))
            git(path, "branch", "--quiet", "-D", branch)
            stderr = error.stderr if isinstance(error, subprocess.CalledProcessError) else ""
            reason = (stderr or "").strip() or str(error)
            log.write_text(f"{reason}\n", "utf-8")
            return FleetResult(path, "failed", reason, log=log)
        finally:
            if worktree.exists():
                git(path, "worktree", "remove", "--force", str(worktree))
    failed = checked.failed_steps
    return FleetResult(
        path,
        "updated",
        detail,
        branch,
        not failed,
        failed,
        log,
        kept=updated.kept,
        missed=updated.missed,
    )


def _checks(worktree: Path) -> Report:
    # The update may change the API: the checks write the service's document anew.
    return validate_project(worktree, refresh_openapi=True)


def fleet_update(
    roots: Iterable[Path],
    to: str | None = None,
    *,
    validate: bool = True,
    jobs: int | None = None,
    on_done: Callable[[FleetResult], None] | None = None,
    report: Callable[[Path], Report] = _checks,
    push: Push | None = None,
) -> list[FleetResult]:
    """Update every clean service under ``roots``, ``jobs`` at a time (default: the CPUs).

    A dirty service is skipped and left as it was. Results come back in the services'
    order; ``on_done`` sees each as it finishes. With ``push``, each updated (or
    conflicted) branch is pushed with its pull-request description written beside it.
    """
    paths = find_services(root.resolve() for root in roots)
    workers = max(1, jobs or os.cpu_count() or 1)
    results: dict[Path, FleetResult] = {}

    def one(path: Path) -> FleetResult:
        started = time.perf_counter()
        result = _update_one(path, to, validate=validate, report=report, push=push)
        seconds = time.perf_counter() - started
        return replace(result, seconds=round(seconds, 1))

    with ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(one, path): path for path in paths}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_done is not None:
                on_done(result)
    return [results[path] for path in paths]


def main(arguments: list[str]) -> int:
    """``python -m generator.fleet_update PATH VERSION``: one update, its outcome as JSON."""
    path, target = arguments
    try:
        outcome = update(Path(path), {}, target)
    except BlueprintError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    json.dump(outcome_json(outcome), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
