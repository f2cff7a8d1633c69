"""The ``blueprint`` command: thin over :mod:`generator.render` and :mod:`generator.validate`.

Every :class:`generator.errors.BlueprintError` becomes a message on standard error and
its exit code here, in one place (:func:`_handle_errors`).
"""

import collections
import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from generator import __version__
from generator.answers import check_answers
from generator.errors import (
    AnswerError,
    BlueprintError,
    ProjectValidationError,
    UpdateConflictError,
)
from generator.fleet import ServiceStatus, find_services, fleet_status, service_status
from generator.fleet_update import FleetResult, Push, fleet_update
from generator.lifecycle import (
    LocalChanges,
    Position,
    check,
    outcome_json,
    record_entities,
    update,
)
from generator.render import parse_data, render
from generator.validate import (
    ALONGSIDE,
    OPENAPI_DOCUMENT,
    Report,
    Step,
    StepResult,
    service_package,
    validate_project,
)

app = typer.Typer(
    name="blueprint",
    help="Render and check production FastAPI services from the Service Blueprint template.",
    no_args_is_help=True,
    add_completion=False,
)

#: How many lines of a failed step's output to show.
FAILURE_TAIL_LINES = 40


@contextmanager
def _handle_errors(console: Console) -> Iterator[None]:
    try:
        yield
    except BlueprintError as error:
        console.print(f"[bold red]error:[/] {error}", markup=True, highlight=False)
        raise typer.Exit(error.exit_code) from error


def _version(value: bool) -> None:
    if value:
        typer.echo(f"blueprint {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Render and check production FastAPI services from the Service Blueprint template."""


def _run_validation(project: Path, console: Console, *, refresh_openapi: bool = False) -> Report:
    status = console.status("")
    running: list[str] = []  # the tests run alongside the other checks

    def started(step: Step) -> None:
        running.append(step.name)
        status.update(f"[bold]{', '.join(running)}[/] …")

    def finished(result: StepResult) -> None:
        running.remove(result.step.name)
        status.update(f"[bold]{', '.join(running)}[/] …")
        mark = "[green]✓[/]" if result.passed else "[red]✗[/]"
        console.print(f"{mark} {result.step.name} ({result.seconds:.1f}s)")

    began = time.perf_counter()
    with status:
        report = validate_project(
            project, on_start=started, on_done=finished, refresh_openapi=refresh_openapi
        )
    elapsed = time.perf_counter() - began
    table = Table(title=f"Checks of {project}")
    table.add_column("step")
    table.add_column("time", justify="right")
    table.add_column("result")
    for result in report.results:
        outcome = "[green]passed[/]" if result.passed else f"[red]failed ({result.returncode})[/]"
        table.add_row(result.step.name, f"{result.seconds:.1f}s", outcome)
    console.print(table)
    console.print(f"{elapsed:.1f}s in all: {ALONGSIDE} ran alongside the other checks")
    for result in report.results:
        if not result.passed:
            tail = "\n".join(result.output.splitlines()[-FAILURE_TAIL_LINES:])
            console.rule(f"[red]{result.step.name}: last lines of output")
            console.print(tail, markup=False, highlight=False)
    if not report.passed:
        raise ProjectValidationError(report.failed_steps)
    return report


def _remind_of_the_openapi_document(project: Path, console: Console) -> None:
    """Say how to write the OpenAPI document, which only the checks write."""
    package = service_package(project) or "<package>"
    console.print(
        f"[yellow]note[/] {OPENAPI_DOCUMENT} is written by the checks: run "
        f"`uv run python -m {package} openapi` in {project} before committing"
    )


@app.command()
def new(
    destination: Annotated[Path, typer.Argument(help="Folder to create (must be new or empty).")],
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Answer a question; repeatable."),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Use defaults for questions not answered by --data.")
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Render only; skip the project's checks.")
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            help="Template path or git URL (default: the template shipped with blueprint)."
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None, typer.Option("--vcs-ref", help="Git tag or commit of --template to render.")
    ] = None,
) -> None:
    """Render a new service into DESTINATION, then run its own checks."""
    console = Console(stderr=True)
    with _handle_errors(console):
        answers = parse_data(data or [])
        project = render(destination, answers, defaults=defaults, source=template, vcs_ref=vcs_ref)
        console.print(f"[green]rendered[/] {project}")
        if no_validate:
            _remind_of_the_openapi_document(project, console)
        else:
            _run_validation(project, console, refresh_openapi=True)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="The rendered project's root.")] = Path(),
) -> None:
    """Run a rendered project's own checks (uv sync, ruff, mypy, import contracts, pytest)."""
    console = Console(stderr=True)
    with _handle_errors(console):
        _run_validation(path.resolve(), console)


#: ``blueprint check``: the service is behind the newest template release.
EXIT_BEHIND = 5
#: ``blueprint check``: files are committed with an update's conflict markers in them.
EXIT_CONFLICTS = 6


def _show_changes(console: Console, title: str, names: list[str]) -> None:
    if names:
        console.print(f"[bold]{title}[/] ({len(names)}):")
        for name in names:
            console.print(f"  {name}", markup=False, highlight=False)


@app.command("update")
def update_command(
    path: Annotated[Path, typer.Argument(help="The service's root (a clean git tree).")] = Path(),
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Change an answer; repeatable."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Template version (git tag); the newest by default.")
    ] = None,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip the project's checks after updating.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Also print what the update did as JSON (docs/fleet-json.md)."),
    ] = False,
) -> None:
    """Update a service to a newer template version, keeping its local edits.

    Reported, never silent: conflicts (exit 6), edited files the release deletes (kept as
    ``<file>.orig``), and release changes to files the service deleted or renamed.
    """
    console = Console(stderr=True)
    with _handle_errors(console):
        answers = record_entities(path.resolve(), parse_data(data or []), to)
        if problems := check_answers(answers):
            raise AnswerError("\n".join(problems))
        outcome = update(path.resolve(), answers, to)
        console.print(
            f"[green]updated[/] {outcome.service.name}: "
            f"{outcome.previous or 'unversioned'} → {outcome.service.version or 'unversioned'}"
        )
        _show_changes(console, "changed", outcome.changed)
        _show_changes(
            console,
            "[yellow]edited, but deleted by the release[/] (your version: <file>.orig)",
            outcome.kept,
        )
        _show_changes(
            console,
            "[yellow]changed by the release, but deleted or renamed here[/] "
            "(Copier skipped them: apply the release's change by hand)",
            [str(item) for item in outcome.missed],
        )
        if as_json:
            typer.echo(json.dumps(outcome_json(outcome), indent=2))
        if outcome.conflicts:
            _show_changes(console, "[red]conflicts[/] (resolve the markers)", outcome.conflicts)
            raise UpdateConflictError(outcome.conflicts)
        if no_validate:
            _remind_of_the_openapi_document(path.resolve(), console)
        else:
            _run_validation(path.resolve(), console, refresh_openapi=True)


@app.command("check")
def check_command(
    path: Annotated[Path, typer.Argument(help="The service's root.")] = Path(),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (docs/fleet-json.md).")
    ] = False,
) -> None:
    """Exit 5 if a newer template release exists (or that cannot be told); list local edits.

    A service on the newest release, or on commits past it, is current (exit 0). Files
    committed with an update's conflict markers still in them fail the check (exit 6).
    """
    console = Console(stderr=True)
    with _handle_errors(console):
        standing = check(path.resolve())
        service = standing.service
        changes = standing.changes
        report = service_status(service, standing.releases, len(changes.files))
        where = standing.position
        if as_json:
            fields = {**dataclasses.asdict(report), **_changes(changes)}
            typer.echo(json.dumps({**fields, "conflicts": standing.conflicts}, indent=2))
        else:
            console.print(
                f"{service.name}: template {service.version or 'unversioned'}, "
                f"newest {standing.latest or 'unknown'}"
            )
            _show_changes(console, "modified since the render", changes.modified)
            _show_changes(console, "added", changes.added)
            _show_changes(console, "removed", changes.removed)
            console.print(_verdict(where))
            _show_changes(console, "[red]committed with conflict markers[/]", standing.conflicts)
        if standing.conflicts:
            raise typer.Exit(EXIT_CONFLICTS)
        if where.state in {"behind", "unknown"}:
            raise typer.Exit(EXIT_BEHIND)


def _verdict(where: Position) -> str:
    if where.state == "behind":
        return f"[red]behind[/] by {where.behind} release(s); run: blueprint update"
    if where.state == "unknown":
        return f"[red]unknown[/]: {where.reason}"
    return f"[green]{where.label}[/]"


def _changes(changes: LocalChanges) -> dict[str, list[str]]:
    return {"modified": changes.modified, "added": changes.added, "removed": changes.removed}


fleet_app = typer.Typer(help="Many services at once.", no_args_is_help=True)
app.add_typer(fleet_app, name="fleet")


@fleet_app.command("status")
def fleet_status_command(
    roots: Annotated[list[Path], typer.Argument(help="Folders to search for services.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show every service under ROOTS: version, standing, backends, local changes, problems.

    Every folder whose answers file may be this template's is a row, also when it cannot
    be read (the problem column says why). Piped, the table is plain aligned text.
    """
    console = Console(stderr=True)
    with _handle_errors(console):
        rows = fleet_status(roots)
        if as_json:
            typer.echo(json.dumps([dataclasses.asdict(row) for row in rows], indent=2))
            return
        cells = [_cells(row) for row in rows]
        out = Console()
        if not out.is_terminal:
            typer.echo(_plain([list(STATUS_COLUMNS), *cells]))
            return
        table = Table(title=f"{len(rows)} services")
        for column in STATUS_COLUMNS:
            table.add_column(column, overflow="fold", no_wrap=column == "service")
        for row, line in zip(rows, cells, strict=True):
            style = "red" if row.problem or row.state in {"behind", "unknown"} else None
            table.add_row(*line, style=style)
        out.print(table)


#: The columns of ``fleet status``.
STATUS_COLUMNS = (
    "service",
    "team",
    "version",
    "standing",
    "database",
    "cache",
    "entities",
    "changed",
    "problem",
)


def _cells(row: ServiceStatus) -> list[str]:
    changed = "?" if row.changed_files is None else str(row.changed_files)
    return [
        row.name,
        row.team or "-",
        row.version or "-",
        row.standing,
        row.database or "-",
        row.cache or "-",
        ", ".join(row.entities) or "-",
        changed,
        row.problem or "",
    ]


def _plain(lines: list[list[str]]) -> str:
    """Columns aligned with two spaces, nothing cut, the last one unpadded."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    return "\n".join(
        "  ".join([*map(str.ljust, line[:-1], widths), line[-1]]).rstrip() for line in lines
    )


@fleet_app.command("update")
def fleet_update_command(
    roots: Annotated[list[Path], typer.Argument(help="Folders to search for services.")],
    to: Annotated[
        str | None, typer.Option("--to", help="Template version (git tag); the newest by default.")
    ] = None,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip each service's checks.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Services updated at once (default: the CPUs)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON (docs/fleet-json.md).")
    ] = False,
    push: Annotated[
        bool,
        typer.Option("--push", help="Push each update branch, with its pull-request description."),
    ] = False,
    remote: Annotated[str, typer.Option(help="The git remote --push pushes to.")] = "origin",
) -> None:
    """Update every clean service under ROOTS on a branch of its own; skip dirty ones.

    Each update runs in a worktree of its own (the service's checkout is never switched),
    several at once. Running it again refreshes the update branches an earlier run made
    and leaves alone (and reports) a branch someone added commits to. Exit 1 if a service
    failed, has conflicts, or failed its checks.
    """
    console = Console(stderr=True)
    with _handle_errors(console):
        total = len(find_services(roots))
        finished = 0

        def done(result: FleetResult) -> None:
            nonlocal finished
            finished += 1
            console.print(
                f"[{finished}/{total}] {result.outcome} {result.path.name}: {result.detail}"
                f"{_checks_note(result)}",
                highlight=False,
                markup=False,
            )

        results = fleet_update(
            roots,
            to,
            validate=not no_validate,
            jobs=jobs,
            on_done=done,
            push=Push(remote) if push else None,
        )
        if as_json:
            typer.echo(json.dumps([_result_json(result) for result in results], indent=2))
        else:
            lines = [list(UPDATE_COLUMNS), *map(_result_cells, results)]
            typer.echo(_plain(lines))
        counts = collections.Counter(result.outcome for result in results)
        console.print(", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())))
        if (
            counts["failed"]
            or counts["conflicts"]
            or any(result.checks_passed is False for result in results)
        ):
            raise typer.Exit(1)


UPDATE_COLUMNS = ("service", "outcome", "detail", "branch", "checks", "log")


def _checks_note(result: FleetResult) -> str:
    if result.checks_passed is None:
        return ""
    if result.checks_passed:
        return " (checks passed)"
    return f" (checks failed: {', '.join(result.failed_steps)}; log: {result.log})"


def _result_cells(result: FleetResult) -> list[str]:
    checks = {True: "passed", False: "failed: " + ", ".join(result.failed_steps), None: "-"}
    return [
        str(result.path),
        result.outcome,
        result.detail,
        result.branch or "-",
        checks[result.checks_passed],
        str(result.log) if result.log else "-",
    ]


def _result_json(result: FleetResult) -> dict[str, object]:
    row = dataclasses.asdict(result)
    row["path"] = str(result.path)
    row["log"] = None if result.log is None else str(result.log)
    row["description"] = None if result.description is None else str(result.description)
    return row
