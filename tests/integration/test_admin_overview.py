"""``GET /api/admin/overview`` over HTTP on SQLite: queue and throughput per model, recent
failures with their messages, breakers, workers, failing callbacks; admin key only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from imagegate.api.app import create_app
from imagegate.runtime import Runtime
from imagegate.settings import Settings
from imagegate.tasks.ids import new_task_id
from imagegate.tasks.overview import id_floor

BANANA = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}


def admin(harness: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {harness.admin_key}"}


async def overview(harness: Any) -> dict[str, Any]:
    response = await harness.client.get("/api/admin/overview", headers=admin(harness))
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def test_the_id_floor_orders_with_task_ids() -> None:
    task_id = new_task_id()
    created = int(task_id[:12], 16)
    assert id_floor(created) <= task_id < id_floor(created + 1)


async def test_needs_the_admin_key(api: Any) -> None:
    for headers in ({}, api.auth):
        response = await api.client.get("/api/admin/overview", headers=headers)
        assert response.status_code == 401 and response.json()["code"] == 401


async def test_queue_depth_and_failures_per_model(api: Any) -> None:
    # No worker here: created tasks stay waiting; a cancelled one is a failure with a message.
    ids = [(await api.create(BANANA)).json()["data"]["taskId"] for _ in range(3)]
    canceled = await api.client.post(
        "/api/v1/jobs/cancelTask", json={"taskId": ids[0]}, headers=api.auth
    )
    assert canceled.json()["data"]["canceled"] is True

    data = await overview(api)

    rows = {row["model"]: row for row in data["models"]}
    assert rows["google/nano-banana"]["waiting"] == 2
    assert rows["google/nano-banana"]["oldestWaitingMs"] >= 0
    assert rows["google/nano-banana"]["lastHour"] == {
        "created": 3, "succeeded": 0, "failed": 1, "avgCostMs": None}
    assert rows["ideogram/v3-reframe"]["waiting"] == 0  # every catalog model has its row
    [failure] = data["failures"]
    assert failure["taskId"] == ids[0] and failure["failCode"] == "CANCELED"
    assert failure["failMsg"] and failure["model"] == "google/nano-banana"
    assert data["engines"]["mock"]["state"] == "closed"
    assert data["callbacks"] == {"failures": []}


async def test_throughput_and_dead_callbacks(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    loopback.post_statuses = [500]
    harness, client = await harness_opener(
        runtime_factory(callback_max_attempts=1), start=True
    )
    try:
        async with client:
            hook = loopback.url("/hook")
            made = await harness.create({**BANANA, "callBackUrl": hook})
            task_id = made.json()["data"]["taskId"]
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                data = await overview(harness)
                if data["callbacks"]["failures"]:
                    break
                assert asyncio.get_running_loop().time() < deadline, data
                await asyncio.sleep(0.1)
    finally:
        await harness.runtime.worker.stop()
        await harness.runtime.callbacks.stop()
        await harness.runtime.janitor.stop()
        await harness.runtime.deadlines.stop()

    [dead] = data["callbacks"]["failures"]
    assert (dead["taskId"], dead["state"], dead["attempts"]) == (task_id, "dead", 1)
    assert dead["lastStatus"] == 500 and dead["url"] == hook
    row = next(r for r in data["models"] if r["model"] == "google/nano-banana")
    assert row["lastHour"]["created"] == 1 and row["lastHour"]["succeeded"] == 1
    assert row["lastHour"]["avgCostMs"] is not None and row["waiting"] == 0
    assert data["failures"] == []


async def test_the_same_overview_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=postgres_url, admin_key="pg-admin",
        url_allowlist=["127.0.0.1"], public_url="http://testserver", mock=True,
        engine_processes=0, worker_concurrency=0,  # no worker: created tasks stay waiting
        janitor_interval_seconds=3600,
    )
    runtime = Runtime(settings)
    first = await runtime.first_start()
    await runtime.start()
    user = {"Authorization": f"Bearer {first.default_key}"}
    try:
        app = create_app(runtime, manage_runtime=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            ids = []
            for _ in range(2):
                made = await client.post("/api/v1/jobs/createTask", json=BANANA, headers=user)
                ids.append(made.json()["data"]["taskId"])
            await client.post("/api/v1/jobs/cancelTask", json={"taskId": ids[0]}, headers=user)
            answer = await client.get(
                "/api/admin/overview", headers={"Authorization": "Bearer pg-admin"}
            )
    finally:
        await runtime.stop()
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    row = next(r for r in data["models"] if r["model"] == "google/nano-banana")
    assert row["waiting"] == 1
    assert row["lastHour"] == {"created": 2, "succeeded": 0, "failed": 1, "avgCostMs": None}
    assert [f["taskId"] for f in data["failures"]] == [ids[0]]
    assert data["callbacks"] == {"failures": []}
