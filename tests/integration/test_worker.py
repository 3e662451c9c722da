"""The worker against a real SQLite file: shutdown hands tasks back, leases fence, bugs fail."""

from __future__ import annotations

import asyncio
from typing import Any

from imagegate.tasks.state import TaskState


def reframe(url: str) -> dict[str, Any]:
    return {"model": "ideogram/v3-reframe", "input": {"image_url": url, "image_size": "square"}}


async def wait_state(runtime: Any, task_id: str, state: TaskState, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (await runtime.store.get_task(task_id)).state is not state:
        assert asyncio.get_running_loop().time() < deadline, f"never reached {state}"
        await asyncio.sleep(0.02)


async def test_clean_shutdown_hands_a_running_task_back(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(mock_latency=30), start=True)
    async with client:
        task_id = (await harness.create(reframe(loopback.serve_image("/a.png")))).json()["data"][
            "taskId"
        ]
        await wait_state(harness.runtime, task_id, TaskState.GENERATING)
        await harness.runtime.worker.stop()
        task = await harness.runtime.store.get_task(task_id)
        assert task.state is TaskState.WAITING and task.progress == 0
    await harness.runtime.callbacks.stop()


async def test_a_worker_that_loses_its_lease_backs_off_and_the_task_finishes_once(
    harness_opener: Any, runtime_factory: Any, loopback: Any, caplog: Any
) -> None:
    # Lease 0.3 s, engine 1 s: the heartbeat (every 0.1 s) keeps the lease until we move the
    # token on, as a second claimer would. The first run must back off without finishing; the
    # lease then expires, a slot claims the task again, and it finishes once, charged once.
    harness, client = await harness_opener(
        runtime_factory(mock_latency=1.0, lease_seconds=0.3), start=True
    )
    async with client:
        task_id = (await harness.create(reframe(loopback.serve_image("/a.png")))).json()["data"][
            "taskId"
        ]
        await wait_state(harness.runtime, task_id, TaskState.GENERATING)
        harness.runtime.db.conn.execute(
            "UPDATE tasks SET lease_token = lease_token + 100 WHERE id = ?", (task_id,)
        )
        await wait_state(harness.runtime, task_id, TaskState.SUCCESS)
        task = await harness.runtime.store.get_task(task_id)
        assert task.attempts == 2
        assert "lease lost" in caplog.text
        ledger = await harness.runtime.store.ledger(task.account_id)
        assert [r["reason"] for r in ledger if r["task_id"] == task_id] == ["debit"]
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def test_an_engine_bug_fails_the_task_and_refunds(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    from imagegate.engines.router import Router

    class BrokenEngine:
        name = "broken"

        def supports(self, model: str) -> bool:
            return True

        async def run(self, job: Any) -> Any:
            raise ZeroDivisionError("a bug, not a TaskError")

    runtime = runtime_factory()
    runtime.worker.router = runtime.router = Router({"ideogram/v3-reframe": [BrokenEngine()]})
    harness, client = await harness_opener(runtime, start=True)
    async with client:
        task_id = (await harness.create(reframe(loopback.serve_image("/a.png")))).json()["data"][
            "taskId"
        ]
        await wait_state(harness.runtime, task_id, TaskState.FAIL)
        task = await harness.runtime.store.get_task(task_id)
        assert task.fail_code == "500" and "ZeroDivisionError" in task.fail_msg
        ledger = await harness.runtime.store.ledger(task.account_id)
        assert [r["reason"] for r in ledger if r["task_id"] == task_id] == ["debit", "refund"]
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()
