"""``/healthz`` (alive, no database), ``/readyz`` (database, live workers, queue depth) and the
workers registry behind them, on SQLite and on PostgreSQL, through the real app in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from imagegate.api.app import create_app
from imagegate.runtime import Runtime
from imagegate.settings import Settings
from imagegate.tasks.workers_registry import WorkerRow

REFRAME = {"model": "ideogram/v3-reframe",
           "input": {"image_url": "http://127.0.0.1:9/in.png", "image_size": "square_hd"}}


def _other_worker(worker_id: str = "elsewhere", models: tuple[str, ...] | None = None) -> WorkerRow:
    """The row another worker process would write."""
    return WorkerRow(id=worker_id, host="gpu-1", pid=4242, models=models, concurrency=2,
                     started_at=0, seen_at=0)


async def _ready(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status_code, response.json()


async def test_readyz_wants_a_live_worker_and_forgets_a_silent_one(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory(worker_heartbeat_seconds=0.05)
    _, client = await harness_opener(runtime, start=False)  # no embedded worker
    async with client:
        status, body = await _ready(client)
        assert status == 503
        assert body["failed"] == ["workers"]
        assert body["checks"]["workers"] == {
            "ok": False, "embedded": False, "live": 0, "error": "no worker seen in the last 0.15 s"
        }
        assert body["checks"]["database"] == {"ok": True}

        # A worker that serves nothing does not make the fleet ready.
        await runtime.workers.beat(_other_worker("idle", models=()))
        assert (await _ready(client))[0] == 503
        await runtime.workers.beat(_other_worker())
        status, body = await _ready(client)
        assert status == 200, body
        assert body["status"] == "ready" and body["checks"]["workers"]["live"] == 1

        await asyncio.sleep(0.2)  # more than three heartbeats without a beat: presumed dead
        status, body = await _ready(client)
        assert status == 503 and body["failed"] == ["workers"]


async def test_readyz_fails_when_the_queue_is_too_deep(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory(ready_max_queue=2)
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        await runtime.workers.beat(_other_worker())
        assert (await harness.create(REFRAME)).status_code == 200
        assert (await _ready(client))[0] == 200
        assert (await harness.create(REFRAME)).status_code == 200
        status, body = await _ready(client)
        assert status == 503
        assert body["failed"] == ["queue"]
        assert body["checks"]["queue"]["waiting"] == 2 and body["checks"]["queue"]["max"] == 2


async def test_healthz_needs_no_database_and_readyz_says_it_is_down(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory()
    _, client = await harness_opener(runtime, start=False)
    async with client:
        runtime.db.close()
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        status, body = await _ready(client)
        assert status == 503
        assert body["failed"] == ["database", "workers", "queue"]
        assert body["checks"]["queue"]["error"] == "database unreachable"


async def test_the_embedded_worker_makes_serve_ready_and_its_row_goes_on_stop(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory()
    _, client = await harness_opener(runtime, start=True)
    async with client:
        status, body = await _ready(client)
        assert status == 200 and body["checks"]["workers"]["embedded"] is True
        await asyncio.sleep(0.05)  # the first beat
        (row,) = await runtime.workers.seen_since(0)
        assert row.id == runtime.worker.worker_id and row.models is None
        assert row.concurrency == runtime.settings.worker_concurrency
        await runtime.presence.stop()  # what runtime.stop() does once the worker drained
        assert await runtime.workers.seen_since(0) == []
        await runtime.stop()


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    # This folder's conftest helper is not importable; the values that matter here.
    values: dict[str, Any] = {
        "data_dir": data_dir, "url_allowlist": ["127.0.0.1"], "public_url": "http://testserver",
        "poll_interval_seconds": 0.05, "lease_seconds": 2.0, "engine_processes": 0,
        "janitor_interval_seconds": 3600, "mock": True, "shutdown_grace_seconds": 0,
    }
    return Settings(**{**values, **overrides})


async def test_on_postgres_an_api_process_sees_the_fleet_workers_and_queue(
    postgres_url: str, tmp_path: Path
) -> None:
    api = Runtime(_settings(tmp_path / "api", database_url=postgres_url, worker_concurrency=0))
    worker = Runtime(_settings(tmp_path / "worker", database_url=postgres_url,
                               worker_concurrency=1, worker_models=["qwen/image-edit"]))
    first = await api.first_start()
    await worker.first_start()
    await api.start()
    await worker.start()
    app = create_app(api, manage_runtime=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            async with asyncio.timeout(5):
                while (await _ready(client))[0] != 200:  # the worker's first beat
                    await asyncio.sleep(0.05)
            status, body = await _ready(client)
            assert body["checks"]["workers"] == {"ok": True, "embedded": False, "live": 1}
            (row,) = await api.workers.seen_since(0)
            assert row.models == ("qwen/image-edit",)

            # Reframe tasks wait: the only worker serves another model.
            auth = {"Authorization": f"Bearer {first.default_key}"}
            for _ in range(3):
                created = await client.post("/api/v1/jobs/createTask", json=REFRAME,
                                            headers=auth)
                assert created.status_code == 200, created.text
            scraped = (await client.get("/metrics")).text
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(scraped) for s in family.samples
            }
            assert samples[("imagegate_queue_depth", (("model", "ideogram/v3-reframe"),))] == 3
            assert samples[("imagegate_tasks", (("model", "ideogram/v3-reframe"),
                                                ("state", "waiting")))] == 3
            assert samples[("imagegate_workers_live", ())] == 1
            assert samples[("imagegate_queue_oldest_waiting_seconds",
                            (("model", "ideogram/v3-reframe"),))] >= 0

            await worker.stop()  # a clean exit removes its row at once
            status, body = await _ready(client)
            assert status == 503 and body["failed"] == ["workers"]
    finally:
        await api.stop()


async def test_metrics_asks_for_the_metrics_token_once_one_is_set(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory(metrics_token="scrape-secret")
    _, client = await harness_opener(runtime, start=False)
    async with client:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, refused.text
            assert refused.json()["code"] == 401 and "metrics token" in refused.json()["msg"]
        scraped = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert scraped.status_code == 200 and "imagegate_queue_depth" in scraped.text
