"""Memory of one worker under oversized request bodies: the service against a bare FastAPI app.

Usage: python bench/body_memory.py [--megabytes 50] [--clients 8]

Renders the default answers into a scratch folder, installs it with uv and starts, side by
side, each under uvicorn with one worker on 127.0.0.1 (SQLite, production settings):

- **service**: the rendered service (``MAX_REQUEST_BODY_BYTES`` at its default, 1 MiB).
- **bare**: a FastAPI app with the same ``POST /api/v1/tasks`` taking a pydantic body, and
  no limit: what the service did before it had one.

Then ``--clients`` unauthenticated clients at once each send a ``--megabytes`` body, first
with a ``Content-Length``, then in chunks (no length). Prints each server's resident memory
when idle and its peak (``VmHWM``) after each wave, in MB.
"""

import argparse
import concurrent.futures
import http.client
import os
import subprocess
import tempfile
from pathlib import Path

import copier
from service_throughput import SECRET, _free_port, _serve, _wait, stop
from uv import find_uv_bin

REPO = Path(__file__).resolve().parents[1]
CHUNK = b"x" * 65_536
BARE_APP = '''
"""The baseline: the same route and body model, no body limit."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class TaskCreate(BaseModel):
    title: str


@app.post("/api/v1/tasks", status_code=201)
async def create(body: TaskCreate) -> dict[str, str]:
    return {"title": body.title}
'''


def _memory(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of ``pid``, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text("utf-8").splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0]) / 1024
    return fields


def _send(port: int, megabytes: int, *, declared: bool) -> str:
    """One oversized POST; the status, or how the connection ended."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    total = megabytes * 1024 * 1024
    try:
        connection.putrequest("POST", "/api/v1/tasks")
        connection.putheader("Content-Type", "application/json")
        if declared:
            connection.putheader("Content-Length", str(total))
        else:
            connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        sent = 0
        while sent < total:
            piece = CHUNK[: min(len(CHUNK), total - sent)]
            if declared:
                connection.send(piece)
            else:
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sent += len(piece)
        if not declared:
            connection.send(b"0\r\n\r\n")
        return str(connection.getresponse().status)
    except (BrokenPipeError, ConnectionResetError):
        # The server answered and closed before the body was sent: read the answer.
        try:
            return f"{connection.getresponse().status} (body cut)"
        except (http.client.HTTPException, OSError):
            return "closed"
    finally:
        connection.close()


def _wave(port: int, clients: int, megabytes: int, *, declared: bool) -> list[str]:
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(_send, port, megabytes, declared=declared) for _ in range(clients)]
        return sorted(future.result() for future in futures)


def main() -> int:
    """Render, install, start both servers, send the waves, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        scratch = Path(folder)
        project = scratch / "task-service"
        copier.run_copy(str(REPO), project, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
        subprocess.run(
            [find_uv_bin(), "sync", "--no-dev", "--quiet", "--compile-bytecode"],
            cwd=project,
            check=True,
        )
        python = project / ".venv" / "bin" / "python"
        (project / "bare_app.py").write_text(BARE_APP, "utf-8")
        env = {
            **os.environ,
            "TASK_SERVICE_ENVIRONMENT": "production",
            "TASK_SERVICE_SECRET_KEY": SECRET,
            "TASK_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{scratch / 'bench.db'}",
        }
        ports = {"service": _free_port(), "bare": _free_port()}
        commands = {
            "service": ["-m", "task_service", "serve", "--port", str(ports["service"])],
            "bare": ["-m", "uvicorn", "bare_app:app", "--port", str(ports["bare"])],
        }
        servers = {
            name: _serve(python, command, env, project, scratch / f"{name}.log")
            for name, command in commands.items()
        }
        try:
            _wait(f"http://127.0.0.1:{ports['service']}/health", {})
            _wait(f"http://127.0.0.1:{ports['bare']}/docs", {})
            rows = []
            for name, server in servers.items():
                idle = _memory(server.pid)["VmRSS"]
                declared = _wave(ports[name], args.clients, args.megabytes, declared=True)
                after_declared = _memory(server.pid)["VmHWM"]
                chunked = _wave(ports[name], args.clients, args.megabytes, declared=False)
                after_chunked = _memory(server.pid)["VmHWM"]
                rows.append((name, idle, after_declared, after_chunked, declared, chunked))
        finally:
            stop(servers)
    print(f"{args.clients} clients at once, {args.megabytes} MB each, unauthenticated")
    print(f"{'server':<10} {'idle MB':>8} {'peak, length':>13} {'peak, chunked':>14}  answers")
    for name, idle, declared_peak, chunked_peak, declared, chunked in rows:
        answers = f"{sorted(set(declared))} / {sorted(set(chunked))}"
        print(f"{name:<10} {idle:>8.0f} {declared_peak:>13.0f} {chunked_peak:>14.0f}  {answers}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
