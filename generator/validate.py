"""Run a rendered project's own checks, in its own environment.

The environment comes from the project's ``pyproject.toml`` through ``uv sync`` (the
``uv`` binary this package depends on, not whatever the user has installed); every check
then runs with ``uv run --no-sync``, so it sees exactly the versions the project pins.
"""

import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from uv import find_uv_bin

from generator.errors import BlueprintError

#: Longest time one step may take before it counts as failed.
STEP_TIMEOUT_SECONDS: Final = 1800


@dataclass(frozen=True, slots=True)
class Step:
    """One check: a name for people and the ``uv`` arguments that run it."""

    name: str
    uv_args: tuple[str, ...]


#: The document the service exports from its own app (``python -m <package> openapi``):
#: not rendered by the template, so it can never drift from what FastAPI serves.
OPENAPI_DOCUMENT: Final = "docs/openapi.json"

#: The name of the step that writes or checks the OpenAPI document (:func:`openapi_step`).
OPENAPI_STEP: Final = "openapi document"

#: The checks, in the order they are reported. ``uv sync`` must pass for the others to
#: run. The OpenAPI step's arguments depend on the project: :func:`steps` gives a
#: project's own.
STEPS: Final = (
    # Compiled: the tests start Python subprocesses, each of which would otherwise compile
    # every module again when bytecode is not written (PYTHONDONTWRITEBYTECODE).
    Step("uv sync", ("sync", "--all-groups", "--compile-bytecode")),
    Step(OPENAPI_STEP, ()),
    Step("ruff check", ("run", "--no-sync", "ruff", "check", ".")),
    Step("ruff format", ("run", "--no-sync", "ruff", "format", "--check", ".")),
    Step("mypy --strict", ("run", "--no-sync", "mypy")),
    Step("import contracts", ("run", "--no-sync", "lint-imports")),
    Step("pytest", ("run", "--no-sync", "pytest")),
)

#: The step that runs alongside the others once ``uv sync`` has passed: the tests take
#: the longest and wait on servers and subprocesses, while the static checks only read
#: the project's files. Side by side, a default render's checks take about half as long.
ALONGSIDE: Final = "pytest"


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did."""

    step: Step
    seconds: float
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        """Whether the step exited 0."""
        return self.returncode == 0


@dataclass(frozen=True, slots=True)
class Report:
    """Every step's result, in the order they ran."""

    project: Path
    results: tuple[StepResult, ...]

    @property
    def passed(self) -> bool:
        """Whether every step ran and passed."""
        return len(self.results) == len(STEPS) and all(r.passed for r in self.results)

    @property
    def failed_steps(self) -> list[str]:
        """Names of the steps that failed, or were not run because ``uv sync`` failed."""
        ran = {result.step.name for result in self.results}
        failed = [result.step.name for result in self.results if not result.passed]
        return failed + [f"{step.name} (not run)" for step in STEPS if step.name not in ran]


def service_package(project: Path) -> str | None:
    """The import package of a rendered service: the one ``src/<package>/__main__.py``."""
    found = sorted(path.parent.name for path in project.glob("src/*/__main__.py"))
    return found[0] if len(found) == 1 else None


def openapi_step(project: Path, *, refresh: bool) -> Step:
    """Write the service's OpenAPI document, or check that the committed one is current.

    The document is written when it is missing, or when ``refresh`` is set (after a render
    or an update, whose template changes may change the API); otherwise the step is the
    service's own ``openapi --check``.
    """
    package = service_package(project) or "<no src/<package>/__main__.py>"
    command = ["run", "--no-sync", "python", "-m", package, "openapi"]
    if not refresh and (project / OPENAPI_DOCUMENT).is_file():
        command.append("--check")
    return Step(OPENAPI_STEP, tuple(command))


def steps(project: Path, *, refresh_openapi: bool = False) -> tuple[Step, ...]:
    """The checks of :data:`STEPS` as they run in ``project``."""
    openapi = openapi_step(project, refresh=refresh_openapi)
    return tuple(openapi if step.name == OPENAPI_STEP else step for step in STEPS)


def checks_environment() -> dict[str, str]:
    """Return the caller's environment, minus what would point uv at another venv."""
    hidden = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "CONDA_PREFIX"}
    return {key: value for key, value in os.environ.items() if key not in hidden}


def run_step(step: Step, project: Path, env: Mapping[str, str] | None = None) -> StepResult:
    """Run one step in ``project`` and capture its output.

    Args:
        step: The step to run.
        project: The rendered project's root.
        env: The environment; the caller's (cleaned) by default.

    Returns:
        The step's result; a step that timed out has return code 124.
    """
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            [find_uv_bin(), *step.uv_args],
            cwd=project,
            env=dict(env) if env is not None else checks_environment(),
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.output if isinstance(expired.output, str) else ""
        message = f"\n[timed out after {STEP_TIMEOUT_SECONDS}s]\n"
        return StepResult(step, time.perf_counter() - started, 124, output + message)
    output = completed.stdout + completed.stderr
    return StepResult(step, time.perf_counter() - started, completed.returncode, output)


def validate_project(
    project: Path,
    *,
    on_start: Callable[[Step], None] | None = None,
    on_done: Callable[[StepResult], None] | None = None,
    env: Mapping[str, str] | None = None,
    refresh_openapi: bool = False,
) -> Report:
    """Run every check of :data:`STEPS` on a rendered project.

    A failed ``uv sync`` stops the run (nothing else could work); any other failure
    does not, so one run shows every broken check. After ``uv sync``, the tests run
    alongside the other checks (:data:`ALONGSIDE`); ``on_start`` and ``on_done`` are
    then called from two threads, never at once.

    Args:
        project: The rendered project's root (where its ``pyproject.toml`` is).
        on_start: Called before each step, e.g. to show progress.
        on_done: Called with each step's result.
        env: The environment for the checks; the caller's (cleaned) by default.
        refresh_openapi: Write ``docs/openapi.json`` even if it exists (after a render or
            an update); by default it is written only when missing, and checked otherwise.

    Returns:
        The report of every step that ran, in the order of :data:`STEPS`.

    Raises:
        BlueprintError: ``project`` has no ``pyproject.toml``.
    """
    if not (project / "pyproject.toml").is_file():
        message = f"{project} is not a project: it has no pyproject.toml"
        raise BlueprintError(message)
    checks = steps(project, refresh_openapi=refresh_openapi)
    lock = threading.Lock()

    def run(lane: Sequence[Step]) -> list[StepResult]:
        done: list[StepResult] = []
        for step in lane:
            if on_start is not None:
                with lock:
                    on_start(step)
            result = run_step(step, project, env)
            done.append(result)
            if on_done is not None:
                with lock:
                    on_done(result)
        return done

    installed = run(checks[:1])
    if not installed[0].passed:
        return Report(project, tuple(installed))
    alongside = [step for step in checks[1:] if step.name == ALONGSIDE]
    rest = [step for step in checks[1:] if step.name != ALONGSIDE]
    with ThreadPoolExecutor(max_workers=2) as pool:
        lanes = [pool.submit(run, alongside), pool.submit(run, rest)]
        finished = {result.step.name: result for lane in lanes for result in lane.result()}
    return Report(project, (*installed, *(finished[step.name] for step in checks[1:])))
