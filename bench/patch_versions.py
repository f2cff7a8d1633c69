"""What the version check costs a `PATCH`: this checkout against the previous release.

Usage: python bench/patch_versions.py [--seconds 8] [--connections 16] [--rounds 3]
                                      [--baseline v0.7.0]

Renders the default answers twice into a scratch folder, from a clone of this repository
whose release tags are recreated (``generator.releases``): at ``HEAD`` (every `PATCH`
reads the row, then ``UPDATE ... SET <changed columns>, version = v + 1 WHERE version =
v``) and at the baseline release (reads the row, re-selects it and copies every field,
no version). Installs both with uv and serves each under uvicorn, one worker, on its own
SQLite file with the same rows, in production mode (JSON access log, JWT, tenancy,
permissions, the bus, the read cache invalidated by every write). A third server is the
floor: a bare FastAPI route that runs the same ``UPDATE`` and nothing else.

wrk (Debian's `wrk`) sends `PATCH /api/v1/tasks/{id}` with a new title each time, spread
over as many rows as there are connections times eight (each thread starts at another
row), alternating servers round by round. Prints requests/s, p50 and p99 per server
(medians over the rounds), the non-2xx count (a 409 after five attempts would show up
there), and the ratios.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import copier
from service_throughput import SECRET, _free_port, _millis, _serve, _wait, median_figures, stop
from uv import find_uv_bin

from generator import releases

REPO = Path(__file__).resolve().parents[1]
BARE_APP = '''
"""The floor: one route, the same UPDATE, nothing else."""

import datetime
import os
import uuid

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(os.environ["BARE_DATABASE_URL"])
app = FastAPI()


class Change(BaseModel):
    title: str


@app.patch("/api/v1/tasks/{task_id}")
async def change(task_id: uuid.UUID, body: Change) -> dict[str, object]:
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                text(
                    "UPDATE tasks SET title = :title, updated_at = :now, version = version + 1"
                    " WHERE id = :id AND tenant_id = :tenant RETURNING *"
                ),
                {
                    "title": body.title,
                    "now": datetime.datetime.now(datetime.UTC),
                    "id": task_id.hex,
                    "tenant": "acme",
                },
            )
        ).mappings().first()
    if row is None:
        raise HTTPException(404)
    return dict(row)
'''
#: wrk's script: PATCH a new title to the next row of the thread's share of them.
SCRIPT = """
local ids = {%s}
local counter = 0
local start = 0
local threads = 0

function setup(thread)
  thread:set("start", threads * 7919)
  threads = threads + 1
end

function init(args)
  counter = start
end

function request()
  counter = counter + 1
  local id = ids[(counter %% #ids) + 1]
  local body = '{"title": "title ' .. counter .. '"}'
  return wrk.format("PATCH", "/api/v1/tasks/" .. id, nil, body)
end
"""


def _render(source: Path, destination: Path, ref: str) -> Path:
    copier.run_copy(str(source), destination, defaults=True, unsafe=True, quiet=True, vcs_ref=ref)
    subprocess.run([find_uv_bin(), "sync", "--no-dev", "--quiet"], cwd=destination, check=True)
    return destination / ".venv" / "bin" / "python"


def _post(base: str, token: str, title: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - a local URL
        f"{base}/api/v1/tasks",
        data=json.dumps({"title": title}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        task_id: str = json.loads(response.read())["id"]
    return task_id


def _wrk(
    wrk: str, url: str, header: str, script: Path, seconds: int, connections: int
) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    command += ["-H", "Content-Type: application/json"]
    if header:
        command += ["-H", header]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    figures = dict.fromkeys(("rps", "p50_ms", "p99_ms", "non_2xx"), 0.0)
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(parts[1])
        elif parts[:1] == ["50%"]:
            figures["p50_ms"] = _millis(parts[1])
        elif parts[:1] == ["99%"]:
            figures["p99_ms"] = _millis(parts[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            figures["non_2xx"] = float(parts[-1])
    return figures


def main() -> int:  # noqa: PLR0915 - one linear script
    """Render both releases, serve them and the floor, load them alternately, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="v0.7.0")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="bench-patch-") as folder:
        scratch = Path(folder)
        clone = scratch / "template"
        git = shutil.which("git") or "git"
        subprocess.run([git, "clone", "--quiet", "--no-tags", str(REPO), str(clone)], check=True)
        releases.tag_releases(clone)
        pythons = {
            "this checkout": _render(clone, scratch / "head", "HEAD"),
            args.baseline: _render(clone, scratch / "baseline", args.baseline),
        }
        projects = {"this checkout": scratch / "head", args.baseline: scratch / "baseline"}
        (projects["this checkout"] / "bare_app.py").write_text(BARE_APP, "utf-8")
        ports = {name: _free_port() for name in [*pythons, "bare floor"]}
        databases = {
            name: f"sqlite+aiosqlite:///{scratch / f'{n}.db'}" for n, name in enumerate(ports)
        }
        base_env = {
            **os.environ,
            "TASK_SERVICE_ENVIRONMENT": "production",
            "TASK_SERVICE_SECRET_KEY": SECRET,
        }
        python = pythons["this checkout"]
        token = subprocess.run(
            [str(python), "-m", "task_service", "token", "--tenant", "acme", "--sub", "alice"],
            env={**base_env, "TASK_SERVICE_ENVIRONMENT": "development"},
            cwd=projects["this checkout"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        header = f"Authorization: Bearer {token}"
        servers: dict[str, subprocess.Popen[bytes]] = {}
        ids: dict[str, list[str]] = {}
        try:
            for name, python in pythons.items():
                env = {**base_env, "TASK_SERVICE_DATABASE_URL": databases[name]}
                command = ["-m", "task_service", "serve", "--port", str(ports[name])]
                servers[name] = _serve(python, command, env, projects[name], scratch / "log")
                base = f"http://127.0.0.1:{ports[name]}"
                _wait(f"{base}/health", {})
                rows = args.connections * 8
                ids[name] = [_post(base, token, f"row {n}") for n in range(rows)]
            # The floor updates the rows of a copy of this checkout's database.
            floor_db = scratch / "floor.db"
            shutil.copy(databases["this checkout"].split("///", 1)[1], floor_db)
            ids["bare floor"] = ids["this checkout"]
            floor_env = {**base_env, "BARE_DATABASE_URL": f"sqlite+aiosqlite:///{floor_db}"}
            floor = ["-m", "uvicorn", "bare_app:app", "--port", str(ports["bare floor"])]
            servers["bare floor"] = _serve(
                pythons["this checkout"],
                [*floor, "--log-level", "warning"],
                floor_env,
                projects["this checkout"],
                scratch / "log",
            )
            _wait(f"http://127.0.0.1:{ports['bare floor']}/docs", {})
            scripts = {}
            for name, found in ids.items():
                scripts[name] = scratch / f"patch-{ports[name]}.lua"
                listed = ", ".join(f'"{item}"' for item in found)
                scripts[name].write_text(SCRIPT % listed, "utf-8")
            results: dict[str, list[dict[str, float]]] = {name: [] for name in ports}
            for _ in range(args.rounds):
                for name, port in ports.items():
                    url = f"http://127.0.0.1:{port}"
                    auth = "" if name == "bare floor" else header
                    figures = _wrk(wrk, url, auth, scripts[name], args.seconds, args.connections)
                    results[name].append(figures)
        finally:
            stop(servers)

    medians = median_figures(results)
    print(
        f"PATCH, wrk -t2 -c{args.connections} -d{args.seconds}s over "
        f"{args.connections * 8} rows, {args.rounds} alternating rounds, medians (SQLite)"
    )
    print("| server | requests/s | p50 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, figures in medians.items():
        print(
            f"| {name} | {figures['rps']:.0f} | {figures['p50_ms']:.2f} | "
            f"{figures['p99_ms']:.2f} | {figures['non_2xx']:.0f} |"
        )
    head, baseline = medians["this checkout"]["rps"], medians[args.baseline]["rps"]
    print(f"this checkout / {args.baseline} PATCH throughput: {head / baseline:.2f}")
    print(f"this checkout / bare floor: {head / medians['bare floor']['rps']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
