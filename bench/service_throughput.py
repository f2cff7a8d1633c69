"""Throughput of the rendered service's `GET /api/v1/tasks/{id}` against a bare FastAPI app.

Usage: python bench/service_throughput.py [--seconds 10] [--connections 32] [--rounds 3]

Renders the default answers into a scratch folder and installs it with uv. Then, in one
run, alternating round by round, loads two servers with wrk (Debian's `wrk`; install it with
`apt-get install wrk`), each under uvicorn with one worker on 127.0.0.1, on SQLite:

- **service**: the rendered service, the full production path: request id middleware,
  access log (JSON lines to a file), JWT verification, tenancy, permission check, the bus,
  the read cache (memory, so after the first read the row comes from the cache).
- **service, metrics off**: the same service with ``METRICS_ENABLED=false``: the difference
  to **service** is what the metrics middleware costs.
- **bare**: a FastAPI app with one route that reads the same row with SQLAlchemy on every
  request and returns it as JSON; no middleware, no auth, no logging.

Prints requests/s, p50 and p99 latency per server (median over the rounds) and the ratios.
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
BARE_APP = '''
"""The baseline: one route, the same SQLite read, nothing else."""

import os
import uuid

from fastapi import FastAPI, HTTPException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(os.environ["BARE_DATABASE_URL"])
app = FastAPI()


@app.get("/api/v1/tasks/{task_id}")
async def read(task_id: uuid.UUID) -> dict[str, object]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT * FROM tasks WHERE id = :id AND tenant_id = :tenant"),
                {"id": task_id.hex, "tenant": "acme"},
            )
        ).mappings().first()
    if row is None:
        raise HTTPException(404)
    return dict(row)
'''
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


def _wrk(wrk: str, url: str, header: str, seconds: int, connections: int) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _millis(re.search(r"\s50%\s+(\S+)", output)[1])  # type: ignore[index]
    p99 = _millis(re.search(r"\s99%\s+(\S+)", output)[1])  # type: ignore[index]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        message = f"{url}: {non_2xx[1]} responses were not 2xx:\n{output}"
        raise SystemExit(message)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


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


def _create_task(base: str, token: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - a local URL
        f"{base}/api/v1/tasks",
        data=json.dumps({"title": "Benchmark"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        task_id: str = json.loads(response.read())["id"]
    return task_id


def main() -> int:
    """Render, install, serve both apps, load them alternately, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="bench-service-") as folder:
        scratch = Path(folder)
        project = scratch / "task-service"
        copier.run_copy(str(REPO), project, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
        subprocess.run([find_uv_bin(), "sync", "--no-dev", "--quiet"], cwd=project, check=True)
        python = project / ".venv" / "bin" / "python"
        (project / "bare_app.py").write_text(BARE_APP, "utf-8")
        database = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
        env = {
            **os.environ,
            "TASK_SERVICE_ENVIRONMENT": "production",
            "TASK_SERVICE_SECRET_KEY": SECRET,
            "TASK_SERVICE_DATABASE_URL": database,
            "BARE_DATABASE_URL": database,
        }
        token = subprocess.run(
            [str(python), "-m", "task_service", "token", "--tenant", "acme", "--sub", "alice"],
            env={**env, "TASK_SERVICE_ENVIRONMENT": "development"},
            cwd=project,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        header = f"Authorization: Bearer {token}"
        ports = {name: _free_port() for name in ("service", "service, metrics off", "bare")}
        commands = {
            name: ["-m", "task_service", "serve", "--port", str(ports[name])]
            for name in ("service", "service, metrics off")
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
        try:
            # The first service migrates the database; the others start after it.
            for name, command in commands.items():
                servers[name] = _serve(
                    python, command, environments[name], project, scratch / "server.log"
                )
                if name == "service":
                    base = f"http://127.0.0.1:{ports[name]}"
                    _wait(f"{base}/health", {})
                    task_id = _create_task(base, token)
            results: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
            for name in commands:
                url = f"http://127.0.0.1:{ports[name]}/api/v1/tasks/{task_id}"
                _wait(url, {"Authorization": f"Bearer {token}"})
            for _ in range(args.rounds):
                for name in commands:
                    url = f"http://127.0.0.1:{ports[name]}/api/v1/tasks/{task_id}"
                    auth = "" if name == "bare" else header
                    results[name].append(_wrk(wrk, url, auth, args.seconds, args.connections))
        finally:
            stop(servers)

    medians = median_figures(results)
    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds, medians"
    )
    print("| server | requests/s | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, figures in medians.items():
        print(
            f"| {name} | {figures['rps']:.0f} | {figures['p50_ms']:.2f} | {figures['p99_ms']:.2f} |"
        )
    service, bare = medians["service"]["rps"], medians["bare"]["rps"]
    print(f"service / bare throughput: {service / bare:.2f}")
    print(
        f"service / service without metrics: {service / medians['service, metrics off']['rps']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
