"""The queue's order on both databases: one account's backlog does not starve another's task,
backlogged accounts alternate, and priority reorders an account's own tasks only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imagegate.tasks.model import NewTask


@pytest.fixture
def store(store_on_both: Any) -> Any:
    return store_on_both


async def account(store: Any, name: str) -> str:
    made = await store.create_account(
        name=name, key_hash=f"hash-{name}", key_prefix="ig_x", credits_milli=0
    )
    return str(made.id)


async def queue(store: Any, owner: str, task_id: str, priority: int = 0) -> None:
    await store.create_task(NewTask(
        id=task_id, account_id=owner, model="google/nano-banana", param=json.dumps({}),
        input={}, callback_url=None, price_milli=0, priority=priority,
    ))


async def claims(store: Any, count: int) -> list[str]:
    taken = []
    for _ in range(count):
        task = await store.claim("w", 60_000)
        assert task is not None
        taken.append(task.id)
    return taken


async def test_a_backlog_does_not_starve_another_accounts_single_task(store: Any) -> None:
    busy, quiet = await account(store, "busy"), await account(store, "quiet")
    for index in range(300):
        await queue(store, busy, f"busy-{index:03d}")
    await queue(store, quiet, "quiet-0")
    # Queued last, it runs second: after the one busy task already in its slot.
    assert "quiet-0" in await claims(store, 2)


async def test_backlogged_accounts_alternate(store: Any) -> None:
    first, second = await account(store, "a"), await account(store, "b")
    for index in range(5):
        await queue(store, first, f"a{index}")
    for index in range(5):
        await queue(store, second, f"b{index}")
    taken = await claims(store, 10)
    assert [t[0] for t in taken] == ["a", "b"] * 5
    assert [t for t in taken if t[0] == "a"] == [f"a{i}" for i in range(5)]


async def test_priority_reorders_the_accounts_own_tasks_only(store: Any) -> None:
    first, second = await account(store, "a"), await account(store, "b")
    for index in range(3):
        await queue(store, first, f"a{index}")
    await queue(store, second, "b0")
    await queue(store, first, "a-urgent", priority=5)
    await queue(store, second, "b1", priority=-3)
    taken = await claims(store, 6)
    # The urgent task takes its account's first slot; the other account keeps its turns.
    assert taken == ["a-urgent", "b0", "a0", "b1", "a1", "a2"]
