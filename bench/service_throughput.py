"""Throughput of the rendered service against a bare FastAPI app doing the same work.

Usage: python bench/service_throughput.py [--seconds 10] [--connections 32] [--rounds 3]
       [--operations item,list,create] [--rows 1000] [--database sqlite|postgresql]

Renders the default answers into a scratch folder and installs it with uv. Then, in one
run, alternating round by round, loads three servers with wrk (Debian's `wrk`; install it
with `apt-get install wrk`), each under uvicorn with one worker on 127.0.0.1, on SQLite or
(``--database postgresql``, the server of ``TEST_POSTGRES_URL``) on a fresh PostgreSQL
database that the service reaches as a role bound by row-level security, migrated by
its owner role, as in ``bench/hot_path_child.py``; the bare app connects as the superuser:

- **service**: the rendered service, the full production path: request id middleware,
  access log (JSON lines to a file), JWT verification, tenancy, permission check, the bus,
  the read cache (memory, so after the first read the row comes from the cache).
- **service, metrics off**: the same service with ``METRICS_ENABLED=false``: the difference
  to **service** is what the metrics middleware costs.
- **bare**: ``bench/hot_path_child.py``'s bare app (FastAPI doing the same database work
  with SQLAlchemy Core on the service's table and answering with the service's own
  Pydantic schemas; no middleware, no auth, no logging), served by uvicorn.

Operations: ``item`` (``GET /api/v1/tasks/{id}``: the service answers from its read
cache, the bare app reads the database), ``list`` (``GET /api/v1/tasks?limit=50``: the
first page of the tenant's ``--rows`` rows, counted), ``create`` (``POST /api/v1/tasks``
into another tenant, so the listed rows stay the same; wrk sends the body with a Lua
script). Prints requests/s, p50 and p99 latency per operation and server (median over
the rounds) and the ratios.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import copier
from uv import find_uv_bin

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-Kq7vX2mL9pT4wR8zN1bC5fH3jD6sG0aYe"  # noqa: S105 - a throwaway key
BENCH = Path(__file__).resolve().parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
#: Made in the project's environment (it has the drivers): the URLs of a fresh database.
MAKE_DATABASE = f"""
import asyncio, json, sys
sys.path.insert(0, {str(BENCH)!r})
from hot_path_child import databases
print(json.dumps(asyncio.run(databases({{"postgres": sys.argv[1]}}))))
"""
#: The bare app, served by uvicorn from the project's folder (in its environment).
BARE_APP = f'''
"""The baseline: hot_path_child's bare app, the same database work, nothing else."""

import os
import sys

sys.path.insert(0, {str(BENCH)!r})
from hot_path_child import bare_app

app = bare_app("task_service", os.environ["BARE_DATABASE_URL"], os.environ["BARE_INITIAL_STATUS"])
'''
#: The tenants of the rows read, and of the rows created (see hot_path_child).
TENANT, WRITER = "acme", "writes"
#: wrk's script for creates: a POST with a JSON body.
POST_SCRIPT = """wrk.method = "POST"
wrk.body = '{"title": "Benchmark"}'
wrk.headers["Content-Type"] = "application/json"
"""
OPERATIONS = ("item", "list", "create")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait(url: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            request = urllib.request.Request(url, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                if response.status == 200:  # noqa: PLR2004
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _millis(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if match is None:
        message = f"unexpected wrk latency {value!r}"
        raise ValueError(message)
    return float(match[1]) * _UNITS[match[2]]


def _wrk(
    wrk: str, url: str, header: str, seconds: int, connections: int, script: Path | None
) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _millis(re.search(r"\s50%\s+(\S+)", output)[1])  # type: ignore[index]
    p99 = _millis(re.search(r"\s99%\s+(\S+)", output)[1])  # type: ignore[index]
    # Counted, not fatal: the table says how many answers were not 2xx (the servers' log
    # says how often SQLite, one writer at a time, was locked).
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    refused = float(non_2xx[1]) if non_2xx else 0.0
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": refused}


def _serve(
    python: Path, args: list[str], env: dict[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen([str(python), *args], env=env, cwd=cwd, stdout=sink, stderr=sink)


def stop(servers: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop every server and wait for it."""
    for server in servers.values():
        server.terminate()
        server.wait(20)


def median_figures(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per server, the median of each figure over its rounds."""
    return {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in results.items()
    }


def _create_task(base: str, token: str, title: str) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - a local URL
        f"{base}/api/v1/tasks",
        data=json.dumps({"title": title}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        created: dict[str, object] = json.loads(response.read())
    return created


def _token(python: Path, project: Path, env: dict[str, str], tenant: str) -> str:
    return subprocess.run(
        [str(python), "-m", "task_service", "token", "--tenant", tenant, "--sub", "alice"],
        env={**env, "TASK_SERVICE_ENVIRONMENT": "development"},
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _print(results: dict[str, dict[str, list[dict[str, float]]]], args: argparse.Namespace) -> None:
    """The table of medians per operation and server, then the ratios."""
    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds, "
        f"medians, {args.database}; the listed tenant holds {args.rows} rows"
    )
    print("| operation | server | requests/s | p50 ms | p99 ms | non-2xx (median) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    medians = {operation: median_figures(runs) for operation, runs in results.items()}
    for operation, by_server in medians.items():
        for name, figures in by_server.items():
            print(
                f"| {operation} | {name} | {figures['rps']:.0f} | {figures['p50_ms']:.2f} "
                f"| {figures['p99_ms']:.2f} | {figures['non_2xx']:.0f} |"
            )
    for operation, by_server in medians.items():
        service = by_server["service"]["rps"]
        print(
            f"{operation}: service / bare throughput {service / by_server['bare']['rps']:.2f}, "
            f"service / service without metrics "
            f"{service / by_server['service, metrics off']['rps']:.2f}"
        )


def database_environment(database: str, python: Path, scratch: Path) -> dict[str, str]:
    """The servers' database URLs: a SQLite file, or a fresh PostgreSQL database."""
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
        return {"TASK_SERVICE_DATABASE_URL": url, "BARE_DATABASE_URL": url}
    made = subprocess.run(
        [str(python), "-c", MAKE_DATABASE, POSTGRES], check=True, capture_output=True, text=True
    ).stdout
    served, migrating, bare = json.loads(made.splitlines()[-1])
    return {
        "TASK_SERVICE_DATABASE_URL": served,
        "TASK_SERVICE_MIGRATION_DATABASE_URL": migrating,
        "BARE_DATABASE_URL": bare,
    }


def main() -> int:  # noqa: PLR0915 - one straight script: set up, serve, load, print
    """Render, install, serve the apps, load them alternately, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    parser.add_argument("--rows", type=int, default=1000, help="rows of the listed tenant")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    operations = [name for name in args.operations.split(",") if name]
    if unknown := set(operations) - set(OPERATIONS):
        raise SystemExit(f"unknown operations {sorted(unknown)}; choose from {OPERATIONS}")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="bench-service-") as folder:
        scratch = Path(folder)
        project = scratch / "task-service"
        copier.run_copy(
            str(REPO),
            project,
            data={"database": args.database},
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
        sync = [find_uv_bin(), "sync", "--no-dev", "--quiet", "--compile-bytecode"]
        subprocess.run(sync, cwd=project, check=True)
        python = project / ".venv" / "bin" / "python"
        (project / "bare_app.py").write_text(BARE_APP, "utf-8")
        post_script = scratch / "post.lua"
        post_script.write_text(POST_SCRIPT, "utf-8")
        env = {
            **os.environ,
            "TASK_SERVICE_ENVIRONMENT": "production",
            "TASK_SERVICE_SECRET_KEY": SECRET,
        }
        env |= database_environment(args.database, python, scratch)
        token = _token(python, project, env, TENANT)
        headers = {
            "item": f"Authorization: Bearer {token}",
            "list": f"Authorization: Bearer {token}",
            "create": f"Authorization: Bearer {_token(python, project, env, WRITER)}",
        }
        names = ("service", "service, metrics off", "bare")
        ports = {name: _free_port() for name in names}
        commands = {
            name: ["-m", "task_service", "serve", "--port", str(ports[name])] for name in names[:2]
        }
        commands["bare"] = [
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(ports["bare"]),
            "--log-level",
            "warning",
        ]
        environments = {
            "service": env,
            "service, metrics off": {**env, "TASK_SERVICE_METRICS_ENABLED": "false"},
            "bare": env,
        }
        servers: dict[str, subprocess.Popen[bytes]] = {}
        results: dict[str, dict[str, list[dict[str, float]]]] = {
            operation: {name: [] for name in names} for operation in operations
        }
        try:
            # The first service migrates the database and fills the listed tenant; the
            # others start after it.
            for name, command in commands.items():
                servers[name] = _serve(
                    python, command, environments[name], project, scratch / "server.log"
                )
                if name == "service":
                    base = f"http://127.0.0.1:{ports[name]}"
                    _wait(f"{base}/health", {})
                    first = _create_task(base, token, "row 0")
                    # The bare app creates rows in the state the service gives a new one.
                    environments["bare"] = {**env, "BARE_INITIAL_STATUS": str(first["status"])}
                    for n in range(1, args.rows):
                        _create_task(base, token, f"row {n}")
            paths = {
                "item": f"/api/v1/tasks/{first['id']}",
                "list": "/api/v1/tasks?limit=50",
                "create": "/api/v1/tasks",
            }
            for name in names:
                url = f"http://127.0.0.1:{ports[name]}{paths['item']}"
                _wait(url, {"Authorization": f"Bearer {token}"})
            for _ in range(args.rounds):
                for operation in operations:
                    script = post_script if operation == "create" else None
                    for name in names:
                        url = f"http://127.0.0.1:{ports[name]}{paths[operation]}"
                        header = "" if name == "bare" else headers[operation]
                        figures = _wrk(wrk, url, header, args.seconds, args.connections, script)
                        results[operation][name].append(figures)
        finally:
            stop(servers)
        log = (scratch / "server.log").read_text("utf-8", errors="replace")
        locked = log.count("database is locked")

    if args.database == "sqlite":
        print(f"servers' log: {locked} mentions of 'database is locked'")

    _print(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
