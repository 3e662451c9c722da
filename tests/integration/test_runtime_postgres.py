"""Runtimes on PostgreSQL in one test process, as a fleet's processes would be: the first
start, an upstream callback taken by one process waking the engine of another."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from imagegate.api.app import create_app
from imagegate.runtime import Runtime
from imagegate.settings import Settings


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    # conftest's helper of the same name is not importable from every folder (each has its
    # own conftest module); these are its values that matter here.
    values: dict[str, Any] = {
        "data_dir": data_dir, "url_allowlist": ["127.0.0.1"], "public_url": "http://testserver",
        "poll_interval_seconds": 0.05, "lease_seconds": 2.0, "engine_processes": 0,
        "janitor_interval_seconds": 3600, "mock": True,
    }
    return Settings(**{**values, **overrides})


async def test_an_upstream_callback_wakes_the_worker_of_another_process(
    postgres_url: str, tmp_path: Path
) -> None:
    api = Runtime(make_settings(tmp_path / "api", database_url=postgres_url,
                                worker_concurrency=0))
    worker = Runtime(make_settings(tmp_path / "worker", database_url=postgres_url,
                                   worker_concurrency=1))
    first = await api.first_start()
    assert first.default_key and first.admin_key
    again = await worker.first_start()
    assert again.default_key is None and again.admin_key is None  # made once, by the first
    await api.start()
    await worker.start()
    try:
        with worker.upstream_events.watching("kie", "up-1") as watch:
            woke_here = await api.upstream_called_back("kie", "up-1")
            assert woke_here is False  # no engine in the API process follows it
            async with asyncio.timeout(5):
                assert await watch.sleep(5) is True
    finally:
        await api.stop()
        await worker.stop()


async def test_health_and_admin_key_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    runtime = Runtime(make_settings(tmp_path / "data", database_url=postgres_url,
                                    admin_key="pg-admin"))
    await runtime.first_start()


    await runtime.start()
    try:
        app = create_app(runtime, manage_runtime=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            assert (await client.get("/healthz")).json()["status"] == "ok"
            routes = await client.get("/api/admin/routes",
                                      headers={"Authorization": "Bearer pg-admin"})
            assert routes.status_code == 200
            refused = await client.get("/api/admin/routes",
                                       headers={"Authorization": "Bearer wrong"})
            assert refused.status_code == 401
    finally:
        await runtime.stop()
