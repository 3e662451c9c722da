"""A runtime stopped with a task in flight, on a real SQLite file: the shutdown the tests'
``runtime_factory`` does after a failed test ends within its bound and hands the task back,
and a database closed under a running task fails the worker's last write instead of leaving
it waiting forever (which once held a whole test run)."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from imagegate.tasks.state import TaskState

from runtimes import shut_down

TASK = {"model": "google/nano-banana", "input": {"prompt": "a red bicycle"}}
BOUND = 10.0  # seconds; a stop with no grace period takes well under one


async def generating(harness_opener: Any, runtime: Any) -> str:
    """``runtime`` started with a task of a 30 s mock engine in flight: its id."""
    harness, client = await harness_opener(runtime, start=True)
    async with client:
        task_id = str((await harness.create(TASK)).json()["data"]["taskId"])
    deadline = asyncio.get_running_loop().time() + BOUND
    while (await runtime.store.get_task(task_id)).state is not TaskState.GENERATING:
        assert asyncio.get_running_loop().time() < deadline, "the task never started"
        await asyncio.sleep(0.02)
    return task_id


async def test_a_runtime_with_a_task_in_flight_shuts_down_within_the_bound(
    harness_opener: Any, runtime_factory: Any
) -> None:
    runtime = runtime_factory(mock_latency=30)
    task_id = await generating(harness_opener, runtime)

    took = await shut_down(runtime, within=BOUND)

    assert took < BOUND
    assert runtime.stopped and runtime.db.conn_closed
    # Handed back before the database closed: the next start runs it at once.
    with sqlite3.connect(runtime.db.path) as conn:
        state, owner = conn.execute(
            "SELECT state, lease_owner FROM tasks WHERE id = ?", (task_id,)
        ).fetchone()
    assert (state, owner) == (TaskState.WAITING.value, None)


async def test_a_database_closed_under_a_running_task_fails_the_last_write_at_once(
    harness_opener: Any, runtime_factory: Any
) -> None:
    runtime = runtime_factory(mock_latency=30)
    await generating(harness_opener, runtime)

    runtime.db.close()  # the order that hung: the database first, the worker after
    stopping = asyncio.ensure_future(runtime.worker.stop())
    done, _ = await asyncio.wait({stopping}, timeout=BOUND)

    assert done, f"the worker did not stop within {BOUND} s of its database closing"
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        await runtime.db.write(lambda conn: None)
