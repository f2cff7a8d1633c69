"""Run inside a rendered project's environment by ``bench/hot_path.py``; prints JSON.

Drives three ASGI apps in this one process, with no server and no HTTP client (a request
is a scope, a receive and a send), and measures the process's CPU time per request:

- **service**: the rendered service's own app, built as in production (JSON logs at INFO,
  metrics, the request id middleware, body limit, JWT, tenancy, permissions, the bus,
  the read cache), started through its lifespan;
- **bare**: FastAPI with one route per operation doing the same database work with
  SQLAlchemy Core on the service's own table, validating and answering with the
  service's own Pydantic schemas: no middleware, no authentication, no logging;
- **starlette**: bare Starlette answering the service's bytes for the item from memory
  (the floor of any ASGI app).

The tenant read holds ``rows`` rows (1,000 by default; lists read the first 50 of them);
creates go to another tenant, so every round reads the same rows.

Arguments (one JSON object): package, rounds, requests, rows, and either ``sqlite`` (a file
path) or ``postgres`` (a superuser URL): then a fresh database is made, owned by a
``bench_owner`` role that migrates it, served as a ``bench_run`` role that may only read
and write rows, as a deployment does (row-level security binds both); the bare app
connects as the superuser (row-level security costs the database server, not this
process).
"""

import asyncio
import cProfile
import datetime
import gc
import importlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import func, insert, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

App = Callable[..., Awaitable[None]]
SECRET = "bench-Kq7vX2mL9pT4wR8zN1bC5fH3jD6sG0aYe"  # noqa: S105 - a throwaway key
TENANT, USER = "acme", "alice"
#: Creates go to another tenant: the lists read the same rows all run long.
WRITER = "writes"
OK, CREATED = 200, 201


class Client:
    """Sends requests straight into an ASGI app and returns (status, body)."""

    def __init__(self, app: App, state: dict[str, Any]) -> None:
        """Send to ``app``, with ``state`` (its lifespan's) in every request's scope."""
        self.app, self.state = app, state

    async def request(
        self, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
    ) -> tuple[int, bytes]:
        """One request, answered in full."""
        raw_path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": raw_path,
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": dict(self.state),
        }
        given = False

        async def receive() -> dict[str, Any]:
            nonlocal given
            if given:
                return {"type": "http.disconnect"}
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def started(app: App) -> tuple[dict[str, Any], Callable[[], Awaitable[None]]]:
    """Run the app's lifespan up to start-up; return its state and how to stop it."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    up = asyncio.get_running_loop().create_future()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            up.set_result(None)
        elif message["type"] == "lifespan.startup.failed":
            up.set_exception(RuntimeError(message.get("message", "start-up failed")))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.create_task(app(scope, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await up

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await task

    return state, stop


def bare_app(package: str, url: str, initial: str) -> FastAPI:
    """FastAPI doing the service's database work for item, list and create, nothing else."""
    schemas = importlib.import_module(f"{package}.api.schemas.task")
    rows = importlib.import_module(f"{package}.infrastructure.repositories.task")
    table = rows.TaskRow.__table__
    engine = create_async_engine(url)
    app = FastAPI()
    read_model, page_model, create_model = schemas.TaskRead, schemas.TaskPage, schemas.TaskCreate

    @app.get("/api/v1/tasks/{item_id}")
    async def item(item_id: uuid.UUID) -> read_model:  # type: ignore[valid-type]
        async with engine.connect() as connection:
            query = select(table).where(table.c.id == item_id, table.c.tenant_id == TENANT)
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            raise HTTPException(404)
        return read_model.model_validate(dict(row))

    @app.get("/api/v1/tasks")
    async def page(limit: int = 50, offset: int = 0) -> page_model:  # type: ignore[valid-type]
        async with engine.connect() as connection:
            mine = table.c.tenant_id == TENANT
            total = (await connection.execute(select(func.count()).where(mine))).scalar_one()
            query = (
                select(table)
                .where(mine)
                .order_by(table.c.created_at, table.c.id)
                .limit(limit)
                .offset(offset)
            )
            found = (await connection.execute(query)).mappings().all()
        items = [read_model.model_validate(dict(row)) for row in found]
        return page_model(items=items, total=total, limit=limit, offset=offset)

    @app.post("/api/v1/tasks", status_code=201)
    async def create(body: create_model) -> read_model:  # type: ignore[valid-type]
        now = datetime.datetime.now(datetime.UTC)
        values = {
            **body.model_dump(),
            "id": uuid.uuid4(),
            "tenant_id": WRITER,
            "created_by": USER,
            "created_at": now,
            "updated_at": now,
            "status": initial,
            "version": 1,
        }
        async with engine.begin() as connection:
            await connection.execute(insert(table).values(values))
        return read_model.model_validate(values)

    app.state.engine = engine
    return app


def starlette_app(body: bytes) -> Starlette:
    """The floor: the item's bytes from memory."""

    async def item(_: object) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/api/v1/tasks/{item_id}", item)])


async def measure(client: Client, send: Callable[[int], Awaitable[int]], requests: int) -> float:
    """CPU µs per request over ``requests`` requests (all must succeed)."""
    gc.collect()
    start = time.process_time()
    for n in range(requests):
        status = await send(n)
        if status >= 300:  # noqa: PLR2004
            message = f"status {status}"
            raise RuntimeError(message)
    del client
    return (time.process_time() - start) / requests * 1e6


async def admin(url: str, *statements: str) -> None:
    """Run statements outside a transaction."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


async def databases(arguments: dict[str, Any]) -> tuple[str, str | None, str]:
    """The service's URL, its migrations' URL and the bare app's URL."""
    if "sqlite" in arguments:
        url = f"sqlite+aiosqlite:///{arguments['sqlite']}"
        return url, None, url
    server = make_url(arguments["postgres"]).set(drivername="postgresql+asyncpg")
    superuser = server.render_as_string(hide_password=False)
    name = "bench_hot_path"
    roles = [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" LOGIN PASSWORD 'bench' NOSUPERUSER NOBYPASSRLS;
            END IF;
        END $$"""
        for role in ("bench_owner", "bench_run")
    ]
    await admin(
        superuser,
        *roles,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" OWNER "bench_owner"',
    )
    database = server.set(database=name)
    await admin(
        database.render_as_string(hide_password=False),
        'ALTER DEFAULT PRIVILEGES FOR ROLE "bench_owner" IN SCHEMA public '
        'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "bench_run"',
    )

    def as_role(role: str) -> str:
        return database.set(username=role, password="bench").render_as_string(  # noqa: S106
            hide_password=False
        )

    return (
        as_role("bench_run"),
        as_role("bench_owner"),
        database.render_as_string(hide_password=False),
    )


async def profile(
    arguments: dict[str, Any],
    clients: dict[str, Client],
    cases: dict[tuple[str, str], Callable[[int], Awaitable[int]]],
) -> None:
    """Write a cProfile of one case ("operation/app") to ``profile_file``."""
    operation, app = arguments["profile"].split("/")
    profiler = cProfile.Profile()
    profiler.enable()
    await measure(clients[app], cases[operation, app], arguments["requests"])
    profiler.disable()
    profiler.dump_stats(arguments["profile_file"])


async def main(arguments: dict[str, Any]) -> dict[str, Any]:
    """Set up the three apps, then measure every case (or profile one)."""
    package = arguments["package"]
    url, owner_url, bare_url = await databases(arguments)
    config = importlib.import_module(f"{package}.config")
    service_main = importlib.import_module(f"{package}.main")
    tokens = importlib.import_module(f"{package}.tokens")
    settings = config.Settings(
        environment=config.Environment.PRODUCTION,
        database_url=url,
        migration_database_url=owner_url,
        secret_key=SECRET,
        log_level="INFO",
    )
    sink = open(os.devnull, "w")  # noqa: SIM115, PTH123 - production writes to stderr
    service = service_main.create_app(settings, log_stream=sink)
    state, stop_service = await started(service)

    def headers_of(tenant: str) -> list[tuple[bytes, bytes]]:
        token = tokens.TokenCodec(settings).issue(
            subject=USER,
            tenant_id=tenant,
            roles=["member"],
            now=datetime.datetime.now(datetime.UTC),
            ttl=datetime.timedelta(hours=2),
        )
        return [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
        ]

    headers, writer = headers_of(TENANT), headers_of(WRITER)
    clients = {"service": Client(service, state)}
    ids = []
    for n in range(arguments.get("rows", 1000)):
        body = json.dumps({"title": f"row {n}"}).encode()
        status, answer = await clients["service"].request("POST", "/api/v1/tasks", headers, body)
        assert status == CREATED, answer  # noqa: S101
        ids.append(json.loads(answer)["id"])
    item_path = f"/api/v1/tasks/{ids[0]}"
    status, item_bytes = await clients["service"].request("GET", item_path, headers)
    assert status == OK, item_bytes  # noqa: S101
    bare = bare_app(package, bare_url, json.loads(item_bytes)["status"])
    clients["bare"] = Client(bare, {})
    clients["starlette"] = Client(starlette_app(item_bytes), {})
    status, bare_bytes = await clients["bare"].request("GET", item_path, headers)
    assert status == OK, bare_bytes  # noqa: S101

    def getter(name: str, path: str) -> Callable[[int], Awaitable[int]]:
        async def send(_: int) -> int:
            return (await clients[name].request("GET", path, headers))[0]

        return send

    def poster(name: str) -> Callable[[int], Awaitable[int]]:
        async def send(n: int) -> int:
            body = json.dumps({"title": f"{name} {n}"}).encode()
            return (await clients[name].request("POST", "/api/v1/tasks", writer, body))[0]

        return send

    cases = {
        ("item", "service"): getter("service", item_path),
        ("item", "bare"): getter("bare", item_path),
        ("item", "starlette"): getter("starlette", item_path),
        ("list", "service"): getter("service", "/api/v1/tasks?limit=50"),
        ("list", "bare"): getter("bare", "/api/v1/tasks?limit=50"),
        ("create", "service"): poster("service"),
        ("create", "bare"): poster("bare"),
    }
    if only := arguments.get("cases"):  # "operation/app" names: measure these only
        cases = {case: send for case, send in cases.items() if "/".join(case) in only}
    samples: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    requests = arguments["requests"]
    for case, send in cases.items():  # warm up: imports, caches, pools
        await measure(clients[case[1]], send, max(requests // 10, 5))
    if arguments.get("profile"):
        await profile(arguments, clients, cases)
        await stop_service()
        return {}
    order = list(cases)
    for round_ in range(arguments["rounds"]):
        # Alternate the order round by round: a shared machine's speed drifts.
        for case in order if round_ % 2 == 0 else reversed(order):
            samples[case].append(await measure(clients[case[1]], cases[case], requests))
    await stop_service()
    await bare.state.engine.dispose()
    sink.close()
    return {
        f"{operation}/{app}": {
            "median_us": statistics.median(values),
            "min_us": min(values),
            "max_us": max(values),
        }
        for (operation, app), values in samples.items()
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
