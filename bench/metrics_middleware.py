"""What the rendered metrics middleware costs per request, in-process, without a network.

Usage: python bench/metrics_middleware.py [--requests 20000] [--rounds 5]

Renders the default answers into a scratch folder, installs it with uv, and then, in the
rendered project's Python, drives the same Starlette app (one route with a path
parameter, a plain-text answer) through ASGI directly, alternating round by round:

- **bare**: the app alone;
- **metrics**: the app wrapped in the rendered ``MetricsMiddleware`` (request counter by
  method, route template and status, latency histogram).

Prints the median microseconds per request of each, the difference (what the middleware
adds to every request) and the ratio. A load test over the network
(``service_throughput.py``) cannot resolve a cost this small: its run-to-run noise on
this machine is larger.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import copier
from uv import find_uv_bin

REPO = Path(__file__).resolve().parents[1]
DRIVER = """
import asyncio
import statistics
import sys
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from task_service.api.metrics import Metrics, MetricsMiddleware


async def item(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.path_params["item_id"])


async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message):
    return None


async def per_request_us(app, requests: int) -> float:
    started = time.perf_counter()
    for index in range(requests):
        path = f"/api/v1/items/{index}"
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": [],
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
        }
        await app(scope, receive, send)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int, rounds: int) -> None:
    bare = Starlette(routes=[Route("/api/v1/items/{item_id}", item)])
    wrapped = MetricsMiddleware(bare, Metrics())
    await per_request_us(bare, 1000)
    await per_request_us(wrapped, 1000)
    times = {"bare": [], "metrics": []}
    for _ in range(rounds):
        times["bare"].append(await per_request_us(bare, requests))
        times["metrics"].append(await per_request_us(wrapped, requests))
    bare_us = statistics.median(times["bare"])
    metrics_us = statistics.median(times["metrics"])
    print(f"{requests} requests x {rounds} alternating rounds, medians")
    print("| app | us per request |")
    print("| --- | ---: |")
    print(f"| bare | {bare_us:.2f} |")
    print(f"| with MetricsMiddleware | {metrics_us:.2f} |")
    cost = metrics_us - bare_us
    print(f"middleware cost: {cost:.2f} us per request; ratio {metrics_us / bare_us:.3f}")


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


def main() -> int:
    """Render, install, run the driver in the rendered project's interpreter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        project = Path(folder) / "task-service"
        copier.run_copy(str(REPO), project, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
        subprocess.run([find_uv_bin(), "sync", "--no-dev", "--quiet"], cwd=project, check=True)
        python = project / ".venv" / "bin" / "python"
        driver = project / "drive.py"
        driver.write_text(DRIVER, "utf-8")
        command = [str(python), str(driver), str(args.requests), str(args.rounds)]
        return subprocess.run(command, cwd=project, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
