"""Callback deliveries, in-process over HTTP with a real receiver on loopback: every attempt
is recorded (time, status or error, duration), the account sees its own task's, the operator
sees any task's and redelivers on demand."""

from __future__ import annotations

import asyncio
from typing import Any

BANANA = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}


async def deliveries(harness: Any, task_id: str) -> dict[str, Any]:
    response = await harness.client.get(
        "/api/v1/jobs/callbacks", params={"taskId": task_id}, headers=harness.auth
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def wait_for(harness: Any, task_id: str, state: str, attempts: int) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        data = await deliveries(harness, task_id)
        if data["state"] == state and len(data["attempts"]) >= attempts:
            return data
        assert asyncio.get_running_loop().time() < deadline, data
        await asyncio.sleep(0.12)  # under the 10/s query limit


async def test_every_attempt_is_recorded_and_the_operator_redelivers(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    loopback.post_statuses = [500, 503]  # two failures, then 200
    harness, client = await harness_opener(runtime_factory(), start=True)
    admin = {"Authorization": f"Bearer {harness.admin_key}"}
    try:
        async with client:
            hook = loopback.url("/hook")
            made = await harness.create({**BANANA, "callBackUrl": hook})
            task_id = made.json()["data"]["taskId"]
            data = await wait_for(harness, task_id, "delivered", 3)
            assert data["url"] == hook and data["deliveredAt"] is not None
            assert [(a["attempt"], a["status"]) for a in data["attempts"]] == [
                (1, 500), (2, 503), (3, 200),
            ]
            assert [a["error"] for a in data["attempts"]] == ["HTTP 500", "HTTP 503", None]
            times = [a["at"] for a in data["attempts"]]
            assert times == sorted(times) and all(a["durationMs"] >= 0 for a in data["attempts"])
            # The operator sees the same, and sends it once more on demand.
            seen = await client.get(f"/api/admin/tasks/{task_id}/callbacks", headers=admin)
            assert seen.json()["data"] == data
            again = await client.post(
                f"/api/admin/tasks/{task_id}/callbacks/redeliver", headers=admin
            )
            assert again.status_code == 200 and again.json()["data"]["state"] == "pending"
            await asyncio.to_thread(loopback.wait_for_posts, "/hook", 4)
            final = await wait_for(harness, task_id, "delivered", 4)
            assert [(a["attempt"], a["status"]) for a in final["attempts"]][-1] == (1, 200)
            # An account key is not the admin key; a task without a callback has none.
            refused = await client.post(
                f"/api/admin/tasks/{task_id}/callbacks/redeliver", headers=harness.auth
            )
            assert refused.status_code == 401
            plain = (await harness.create(BANANA)).json()["data"]["taskId"]
            assert (await deliveries(harness, plain))["state"] == "none"
            none = await client.post(f"/api/admin/tasks/{plain}/callbacks/redeliver",
                                     headers=admin)
            assert none.status_code == 422 and none.json()["msg"].startswith("taskId")
            missing = await client.get("/api/admin/tasks/nope/callbacks", headers=admin)
            assert missing.status_code == 404
    finally:
        await harness.runtime.worker.stop()
        await harness.runtime.callbacks.stop()
