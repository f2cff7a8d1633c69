"""CPU per request of the rendered service against a bare app doing the same database work.

Usage: python bench/hot_path.py [--rounds 5] [--requests 300] [--runs 3]
       [--databases sqlite,postgresql] [--cold-starts 5]
       [--project-sqlite DIR] [--project-postgresql DIR]
       [--baseline-sqlite DIR] [--baseline-postgresql DIR]

Renders the default answers (on SQLite, and with ``database=postgresql``) into scratch
folders, installs each with ``uv sync --compile-bytecode`` (or takes renders already made,
``--project-*``), then, per database, runs ``bench/hot_path_child.py`` in the project's
environment: one process drives three ASGI apps in-process (no server, no HTTP client)
and measures the process's CPU time per request, alternating the cases round by round:

- **service**: the rendered app as in production (JSON logs at INFO, metrics, request id,
  body limit, JWT, tenancy, permissions, the bus, the read cache), through its lifespan;
- **bare**: FastAPI doing the same database work with SQLAlchemy Core on the service's
  table, answering with the service's own Pydantic schemas; nothing else;
- **starlette**: bare Starlette returning the item's bytes from memory (the floor).

Operations: ``item`` (a cached ``GET /api/v1/tasks/{id}``: the service answers from its
read cache, the bare app reads the database), ``list`` (``GET /api/v1/tasks``, the first
page of 50 of the tenant's 1,000 rows: count and page), ``create`` (``POST
/api/v1/tasks``, into another tenant, so the lists' rows stay the same). On PostgreSQL the service
runs as a role bound by row-level security; the bare app as the superuser.

Each database's child runs ``--runs`` times, as separate processes: one process's
figures move by ±15 % on a shared machine (its memory layout, its connections, the
machine's load), more than rounds within it do. Each run's ratio is service / bare of
that run (side by side); the table gives the median of the runs' ratios and their range.
With ``--baseline-*`` (renders of another commit), the baseline's children alternate
with this one's, run by run, and the table adds the baseline's median ratio.

Then the cold start: from launching ``python -m task_service serve`` (SQLite, migrating
at start-up) to the first 200 of ``/health``, against ``uvicorn`` serving the bare app,
alternating, median of ``--cold-starts`` runs each.

Prints medians (µs of CPU per request) and the ratios the hot-path issue sets goals for.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import copier
from uv import find_uv_bin

REPO = Path(__file__).resolve().parents[1]
CHILD = REPO / "bench" / "hot_path_child.py"
SECRET = "bench-Kq7vX2mL9pT4wR8zN1bC5fH3jD6sG0aYe"  # noqa: S105 - a throwaway key
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
#: Goals of the hot-path issue: (operation, database) -> the ratio not to exceed.
GOALS = {
    ("item", "sqlite"): ("service / bare", 0.5),
    ("list", "sqlite"): ("service / bare", 1.5),
    ("list", "postgresql"): ("service / bare", 1.5),
    ("create", "postgresql"): ("service / bare", 2.0),
}
BARE_SERVER = '''
"""The cold-start baseline: FastAPI with one database-reading route, under uvicorn."""

import os

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(os.environ["BARE_DATABASE_URL"])
app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {"status": "ok"}
'''


def render(scratch: Path, database: str) -> Path:
    """The default answers on ``database``, rendered and installed."""
    project = scratch / f"task-service-{database}"
    copier.run_copy(
        str(REPO),
        project,
        data={"database": database},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    uv = find_uv_bin()
    subprocess.run([uv, "sync", "--quiet", "--compile-bytecode"], cwd=project, check=True)
    return project


def in_process(
    project: Path, database: str, args: argparse.Namespace, scratch: Path
) -> dict[str, dict[str, float]]:
    """The child's medians for one database."""
    arguments: dict[str, object] = {
        "package": "task_service",
        "rounds": args.rounds,
        "requests": args.requests,
    }
    if database == "sqlite":
        arguments["sqlite"] = str(scratch / f"bench-{time.monotonic_ns()}.db")
    else:
        arguments["postgres"] = POSTGRES
    python = project / ".venv" / "bin" / "python"
    output = subprocess.run(
        [str(python), str(CHILD), json.dumps(arguments)],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, dict[str, float]] = json.loads(output.splitlines()[-1])
    return figures


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cold_start(python: Path, command: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds from launching ``command`` to the first 200 of its ``/health``."""
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(python), *command, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + 120
        while True:
            try:
                url = f"http://127.0.0.1:{port}/health"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:  # noqa: PLR2004
                        return time.perf_counter() - started
            except (OSError, urllib.error.URLError):
                if server.poll() is not None:
                    message = f"{command} exited with {server.returncode} before answering"
                    raise RuntimeError(message) from None
                if time.perf_counter() > deadline:
                    raise
            time.sleep(0.01)
    finally:
        server.terminate()
        server.wait(20)


def cold_starts(project: Path, runs: int, scratch: Path) -> dict[str, float]:
    """Median cold start of the service and of the bare app, alternating."""
    python = project / ".venv" / "bin" / "python"
    (project / "bare_server.py").write_text(BARE_SERVER, "utf-8")
    database = f"sqlite+aiosqlite:///{scratch / 'cold.db'}"
    env = {
        **os.environ,
        "TASK_SERVICE_ENVIRONMENT": "production",
        "TASK_SERVICE_SECRET_KEY": SECRET,
        "TASK_SERVICE_DATABASE_URL": database,
        "BARE_DATABASE_URL": database,
    }
    commands = {
        "service": ["-m", "task_service", "serve"],
        "bare": ["-m", "uvicorn", "bare_server:app", "--log-level", "warning"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(runs):
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            times[name].append(cold_start(python, commands[name], env, project))
    return {name: statistics.median(values) for name, values in times.items()}


#: One child's medians: "operation/app" -> {"median_us": ...}.
Figures = dict[str, dict[str, float]]


def runs_of(
    projects: dict[str, Path], database: str, args: argparse.Namespace, scratch: Path
) -> dict[str, list[Figures]]:
    """``--runs`` children per project ("current", "baseline"), alternating run by run."""
    runs: dict[str, list[Figures]] = {name: [] for name in projects}
    for run in range(args.runs):
        order = list(projects) if run % 2 == 0 else list(reversed(projects))
        for name in order:
            runs[name].append(in_process(projects[name], database, args, scratch))
    return runs


def ratios(runs: list[Figures], operation: str) -> list[float]:
    """Each run's service / bare for ``operation``."""
    return [
        figures[f"{operation}/service"]["median_us"] / figures[f"{operation}/bare"]["median_us"]
        for figures in runs
    ]


def median_us(runs: list[Figures], case: str) -> float | None:
    """The median over runs of one case's median, ``None`` if no run measured it."""
    values = [figures[case]["median_us"] for figures in runs if case in figures]
    return statistics.median(values) if values else None


def main() -> int:
    """Render, measure, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--cold-starts", type=int, default=5)
    parser.add_argument("--project-sqlite", type=Path)
    parser.add_argument("--project-postgresql", type=Path)
    parser.add_argument("--baseline-sqlite", type=Path)
    parser.add_argument("--baseline-postgresql", type=Path)
    args = parser.parse_args()
    databases = args.databases.split(",")
    results: dict[str, dict[str, list[Figures]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hot-path-") as folder:
        scratch = Path(folder)
        projects = {
            database: getattr(args, f"project_{database}") or render(scratch, database)
            for database in databases
        }
        for database in databases:
            compared = {"current": projects[database]}
            if baseline := getattr(args, f"baseline_{database}"):
                compared["baseline"] = baseline
            results[database] = runs_of(compared, database, args, scratch)
        first = projects[databases[0]]
        starts = cold_starts(first, args.cold_starts, scratch) if args.cold_starts else {}

    with_baseline = any("baseline" in runs for runs in results.values())
    print(
        f"CPU µs per request, in-process, medians over {args.runs} runs (processes) of "
        f"{args.rounds} alternating rounds of {args.requests} requests"
    )
    print(
        "| operation | database | service | bare FastAPI | bare Starlette "
        f"| service / bare (range) |{' baseline |' if with_baseline else ''}"
    )
    print(f"| --- | --- | ---: | ---: | ---: | ---: |{' ---: |' if with_baseline else ''}")
    for database, runs in results.items():
        current = runs["current"]
        for operation in ("item", "list", "create"):
            service = median_us(current, f"{operation}/service")
            bare = median_us(current, f"{operation}/bare")
            floor = median_us(current, f"{operation}/starlette")
            each = ratios(current, operation)
            goal = GOALS.get((operation, database))
            verdict = f" (goal ≤ {goal[1]})" if goal else ""
            before = ""
            if "baseline" in runs:
                before = f" {statistics.median(ratios(runs['baseline'], operation)):.2f} |"
            elif with_baseline:  # a baseline for the other database only
                before = "  |"
            print(
                f"| {operation} | {database} | {service:,.0f} | {bare:,.0f} | "
                f"{'' if floor is None else f'{floor:,.0f}'} | "
                f"{statistics.median(each):.2f} ({min(each):.2f}-{max(each):.2f}){verdict} |"
                f"{before}"
            )
    if starts:
        print(
            f"cold start to the first 200 of /health, median of {args.cold_starts}: "
            f"service {starts['service']:.2f} s, bare FastAPI {starts['bare']:.2f} s "
            f"(PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
