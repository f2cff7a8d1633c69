"""The ``blueprint`` command: thin over :mod:`generator.render` and :mod:`generator.validate`.

Every :class:`generator.errors.BlueprintError` becomes a message on standard error and
its exit code here, in one place (:func:`_handle_errors`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from generator import __version__
from generator.errors import BlueprintError, ProjectValidationError
from generator.render import parse_data, render
from generator.validate import Report, Step, StepResult, validate_project

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


def _run_validation(project: Path, console: Console) -> Report:
    status = console.status("")

    def started(step: Step) -> None:
        status.update(f"[bold]{step.name}[/] …")

    def finished(result: StepResult) -> None:
        mark = "[green]✓[/]" if result.passed else "[red]✗[/]"
        console.print(f"{mark} {result.step.name} ({result.seconds:.1f}s)")

    with status:
        report = validate_project(project, on_start=started, on_done=finished)
    table = Table(title=f"Checks of {project}")
    table.add_column("step")
    table.add_column("time", justify="right")
    table.add_column("result")
    for result in report.results:
        outcome = "[green]passed[/]" if result.passed else f"[red]failed ({result.returncode})[/]"
        table.add_row(result.step.name, f"{result.seconds:.1f}s", outcome)
    console.print(table)
    for result in report.results:
        if not result.passed:
            tail = "\n".join(result.output.splitlines()[-FAILURE_TAIL_LINES:])
            console.rule(f"[red]{result.step.name}: last lines of output")
            console.print(tail, markup=False, highlight=False)
    if not report.passed:
        raise ProjectValidationError(report.failed_steps)
    return report


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
        if not no_validate:
            _run_validation(project, console)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="The rendered project's root.")] = Path(),
) -> None:
    """Run a rendered project's own checks (uv sync, ruff, mypy, import contracts, pytest)."""
    console = Console(stderr=True)
    with _handle_errors(console):
        _run_validation(path.resolve(), console)
