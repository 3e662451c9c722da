"""Task-record retention as the runtime runs it: its janitor deletes the records past
``task_retention_days``, and a retention shorter than a day is refused. What a deletion takes
and keeps is ``TaskRetention``'s contract, run on every backend in
tests/contract/test_contract_retention.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from imagegate.settings import load_settings
from imagegate.tasks.cancel import cancel_task
from imagegate.tasks.model import NewTask

MODEL = "google/nano-banana"
DAY_MS = 86_400_000
HOOK = "http://127.0.0.1:9/hook"  # never called


async def test_the_runtime_janitor_deletes_records_past_the_setting(
    runtime_factory: Any,
) -> None:
    runtime = runtime_factory(task_retention_days=2)
    assert runtime.janitor.task_retention_ms == 2 * DAY_MS
    owner = (await runtime.store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_a", credits_milli=100_000
    )).id
    conn = runtime.db.conn
    for task_id, days in (("three-days", 3), ("one-day", 1)):
        await runtime.store.create_task(NewTask(
            id=task_id, account_id=owner, model=MODEL, param=json.dumps({"model": MODEL}),
            input={}, callback_url=HOOK, price_milli=4000,
        ))
        await cancel_task(runtime.store, owner, task_id)
        conn.execute("UPDATE tasks SET create_time = create_time - ? WHERE id = ?",
                     (days * DAY_MS, task_id))
    conn.execute("UPDATE callbacks SET state = 'delivered'")
    runtime.janitor.start()  # its first pass takes the task records at once
    try:
        for _ in range(100):
            if await runtime.store.get_task("three-days") is None:
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.janitor.stop()
        await runtime.deadlines.stop()
    assert await runtime.store.get_task("three-days") is None
    assert await runtime.store.get_task("one-day") is not None


@pytest.mark.parametrize("days", [0.5, 0.01])
def test_a_retention_shorter_than_a_day_is_refused(days: float) -> None:
    # A key's daily cap sums its tasks of the last day: deleting them sooner refills it.
    with pytest.raises(ValueError, match="task_retention_days"):
        load_settings(task_retention_days=days)
    assert load_settings(task_retention_days=0).task_retention_days == 0
    assert load_settings(task_retention_days=1).task_retention_days == 1
