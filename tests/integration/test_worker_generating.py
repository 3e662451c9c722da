"""When a task is shown ``generating`` (worker/generating.py), against a real SQLite file.

A trigger on the tasks table records every state the database held, so the tests see the
writes themselves, not a poller's sampling of them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from imagegate.tasks.model import NewTask, Task
from imagegate.tasks.state import TaskState
from imagegate.worker import generating
from imagegate.worker.generating import GeneratingMark

NANO = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse at dusk"}}

_STATE_LOG = (
    "CREATE TABLE state_log (task_id TEXT, state TEXT, engine TEXT);"
    " CREATE TRIGGER log_state AFTER UPDATE OF state ON tasks"
    " WHEN new.state <> old.state"
    " BEGIN INSERT INTO state_log VALUES (new.id, new.state, new.engine); END;"
)


async def _run(harness: Any, task_id: str) -> list[tuple[str, str | None]]:
    async with asyncio.timeout(10):
        while (await harness.runtime.store.get_task(task_id)).state is not TaskState.SUCCESS:
            await asyncio.sleep(0.02)
    rows = harness.runtime.db.conn.execute(
        "SELECT state, engine FROM state_log WHERE task_id = ? ORDER BY rowid", (task_id,)
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


@pytest.mark.parametrize(
    ("latency", "mark_after", "states"),
    [
        # An engine that answers well within the delay: never shown generating. (The delay is
        # stretched so that a loaded CI machine's slow render still counts as "at once".)
        (0, 5.0, [("queuing", None), ("success", "mock")]),
        # One that runs past it: shown generating, with its name, before it ends.
        (0.4, generating.GENERATING_AFTER_S,
         [("queuing", None), ("generating", "mock"), ("success", "mock")]),
    ],
)
async def test_a_task_is_shown_generating_only_when_its_engine_runs_a_while(
    harness_opener: Any, runtime_factory: Any, monkeypatch: pytest.MonkeyPatch, latency: float,
    mark_after: float, states: list[tuple[str, str | None]],
) -> None:
    monkeypatch.setattr(generating, "GENERATING_AFTER_S", mark_after)
    harness, client = await harness_opener(runtime_factory(mock_latency=latency), start=True)
    async with client:
        harness.runtime.db.conn.executescript(_STATE_LOG)
        task_id = (await harness.create(NANO)).json()["data"]["taskId"]
        assert await _run(harness, task_id) == states
        record = (await harness.record(task_id)).json()["data"]
        assert record["state"] == "success" and record["progress"] == 100
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def _claimed(runtime: Any, task_id: str) -> Task:
    """A task of the default account, claimed by a worker "w1"."""
    await runtime.first_start()
    account = (await runtime.store.list_accounts())[0]
    await runtime.store.create_task(NewTask(
        id=task_id, account_id=account.id, model="google/nano-banana", param="{}", input={},
        callback_url=None, price_milli=0,
    ))
    task = await runtime.store.claim("w1", 60_000)
    assert task is not None and task.id == task_id
    return task


async def test_a_mark_that_finds_the_lease_gone_stops_the_task(runtime_factory: Any) -> None:
    # cancelTask or a new owner moved the lease on while the task was still shown queuing:
    # the delayed write fails, the runner is stopped, and settle() says so before any finish.
    runtime = runtime_factory()
    store = runtime.store
    task = await _claimed(runtime, "t1")
    runtime.db.conn.execute("UPDATE tasks SET lease_token = lease_token + 1 WHERE id = 't1'")
    lost: list[bool] = []
    mark = GeneratingMark(runtime.lifecycle, task, lambda: lost.append(True), delay=0.01)
    await mark.engine_started("mock")
    await asyncio.sleep(0.2)
    assert lost == [True]
    assert await mark.settle() is False
    assert (await store.get_task("t1")).state is TaskState.QUEUING  # nothing was written


async def test_a_failover_before_the_mark_names_the_engine_running_now(
    runtime_factory: Any,
) -> None:
    runtime = runtime_factory()
    store = runtime.store
    task = await _claimed(runtime, "t2")
    mark = GeneratingMark(runtime.lifecycle, task, lambda: None, delay=0.05)
    await mark.engine_started("first")
    await mark.engine_started("second")  # the first failed at once
    await asyncio.sleep(0.2)
    shown = await store.get_task("t2")
    assert (shown.state, shown.engine) == (TaskState.GENERATING, "second")
    await mark.engine_started("third")  # shown already: the record follows at once
    assert (await store.get_task("t2")).engine == "third"
    assert await mark.settle() is True
