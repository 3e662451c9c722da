"""Shared fixtures: settings on a temporary data directory, a runtime, an in-process API client."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imagegate.settings import Settings

from loopback import LoopbackServer

# The machine's environment must not leak into the tests' settings.
for _name in list(os.environ):
    if _name.startswith("IMAGEGATE_"):
        del os.environ[_name]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "url_allowlist": ["127.0.0.1", "localhost"],
        "public_url": "http://testserver",
        "poll_interval_seconds": 0.05,
        "lease_seconds": 2.0,
        "callback_backoff_base_seconds": 0.05,
        "janitor_interval_seconds": 3600,
        # Threads, not a process per runtime: the in-process tests start dozens of runtimes.
        # test_cpu_pool.py and the acceptance tests run the default, a process.
        "engine_processes": 0,
        # Every model on the mock engine: most tests are about the task lifecycle, not pixels,
        # and mock images cost nothing. The classic engine's tests pass mock=False.
        "mock": True,
        # Stopping a runtime hands its running tasks back at once, as before the grace period
        # (tests/acceptance/test_operations_shutdown.py tests the grace period itself).
        "shutdown_grace_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
async def runtime_factory(tmp_path: Path) -> AsyncIterator[Any]:
    """Builds runtimes on the test's data dir. Afterwards, whether the test passed or not,
    stops each one it left running (within a bound), then closes its database
    (tests/runtimes.py says why in that order)."""
    from runtimes import TrackedRuntime, shut_down

    made: list[TrackedRuntime] = []

    def factory(**overrides: Any) -> TrackedRuntime:
        runtime = TrackedRuntime(make_settings(tmp_path / "data", **overrides))
        made.append(runtime)
        return runtime

    yield factory
    for runtime in made:
        await shut_down(runtime)


class ApiHarness:
    """A runtime, its app over ASGITransport, and the default account's key."""

    def __init__(self, runtime: Any, client: httpx.AsyncClient, key: str, admin_key: str):
        self.runtime = runtime
        self.client = client
        self.key = key
        self.admin_key = admin_key

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    async def create(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/jobs/createTask", json=body, headers={**self.auth, **headers}
        )

    async def record(self, task_id: str) -> httpx.Response:
        return await self.client.get(
            "/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=self.auth
        )


async def open_harness(runtime: Any, *, start: bool) -> tuple[ApiHarness, Any]:
    from imagegate.api.app import create_app

    first = await runtime.first_start()
    app = create_app(runtime, manage_runtime=False)
    if start:
        await runtime.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return ApiHarness(runtime, client, first.default_key, first.admin_key), client


# The route tests stand on the memory store (fast, and the same protocols: tests/contract/);
# the sqlite_ fixtures are for the tests that look at rows with SQL.
MEMORY = {"database_url": "memory://"}


async def harness_over(runtime: Any, *, start: bool) -> AsyncIterator[ApiHarness]:
    """The harness over ``runtime`` (one of ``runtime_factory``'s, which stops it after the
    test) for one test."""
    harness, client = await open_harness(runtime, start=start)
    async with client:
        yield harness


@pytest.fixture
async def api(runtime_factory: Any) -> AsyncIterator[ApiHarness]:
    """The API in-process over the memory store, without the background worker (tasks stay
    waiting)."""
    async for harness in harness_over(runtime_factory(**MEMORY), start=False):
        yield harness


@pytest.fixture
async def sqlite_api(runtime_factory: Any) -> AsyncIterator[ApiHarness]:
    """``api`` over a SQLite file, for the tests that read its rows."""
    async for harness in harness_over(runtime_factory(), start=False):
        yield harness


@pytest.fixture
async def live_api(runtime_factory: Any) -> AsyncIterator[ApiHarness]:
    """The API in-process over the memory store, with its worker, callback sender and janitor
    running."""
    async for harness in harness_over(runtime_factory(**MEMORY), start=True):
        yield harness


@pytest.fixture
async def sqlite_live_api(runtime_factory: Any) -> AsyncIterator[ApiHarness]:
    """``live_api`` over a SQLite file, for the tests that read its rows."""
    async for harness in harness_over(runtime_factory(), start=True):
        yield harness


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """torch on one thread during the test (its setting restored after). The tiny pipelines
    gain nothing from more, and torch's default, a thread per core in every test process, has
    each process's threads spin for the cores the other processes (pytest -n) and their
    servers need."""
    torch = pytest.importorskip("torch", reason="the diffusers tests need torch (the test extra)")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def postgres_reason() -> str | None:
    """Why the PostgreSQL tests skip (None: they run), asked once per session."""
    from postgres import unavailable

    return unavailable()


@pytest.fixture
def postgres_url(postgres_reason: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped after it; skips when there is no
    server (the README's test command also passes on a laptop without one)."""
    from postgres import fresh_database

    if postgres_reason:
        pytest.skip(postgres_reason)
    with fresh_database() as url:
        yield url


@pytest.fixture
def harness_opener() -> Any:
    """``await harness_opener(runtime, start=...)`` → (ApiHarness, client) for custom runtimes.

    A fixture rather than an import because every test folder may have its own conftest.
    """
    return open_harness


BackendOpener = Callable[..., contextlib.AbstractAsyncContextManager[Any]]


@pytest.fixture
def open_backend_named(request: pytest.FixtureRequest, tmp_path: Path) -> BackendOpener:
    """``async with open_backend_named(name) as backend``: the backend ``name`` names
    ("memory", "sqlite": a fresh file, "postgres": a fresh database, skipped with the reason
    where none answers), closed after."""
    from imagegate.backend import open_memory, open_postgres, open_sqlite

    @contextlib.asynccontextmanager
    async def opener(name: str, *, pool_size: int = 4) -> AsyncIterator[Any]:
        if name == "memory":
            opened = open_memory()
        elif name == "sqlite":
            opened = open_sqlite(f"sqlite:///{tmp_path / 'imagegate.db'}")
        else:
            url = request.getfixturevalue("postgres_url")
            opened = await open_postgres(url, pool_size=pool_size)
        try:
            yield opened
        finally:
            await opened.close()

    return opener


@pytest.fixture
async def pg_store(postgres_url: str) -> AsyncIterator[Any]:
    """A ``PostgresStore`` on a fresh database, for the tests of what only PostgreSQL does."""
    from imagegate.db.postgres.database import PostgresDatabase
    from imagegate.db.postgres.tasks import PostgresStore

    db = await PostgresDatabase.open(postgres_url, max_size=8)
    try:
        yield PostgresStore(db)
    finally:
        await db.close()
