"""The queue's order on every backend (tasks/fairness.py): one account's backlog does not starve
another's task, backlogged accounts alternate, and priority reorders an account's own tasks
only.

Moved here whole from test_queue_fairness.py (SQLite and PostgreSQL), now on memory too."""

from __future__ import annotations

import json

from imagegate.backend import Backend
from imagegate.clock import now_ms
from imagegate.tasks.fairness import SLOT_MS
from imagegate.tasks.model import NewTask

from contract_kit import account


async def queue(backend: Backend, owner: str, task_id: str, priority: int = 0) -> None:
    await backend.store.create_task(NewTask(
        id=task_id, account_id=owner, model="google/nano-banana", param=json.dumps({}),
        input={}, callback_url=None, price_milli=0, priority=priority,
    ))


async def claims(backend: Backend, count: int) -> list[str]:
    taken = []
    for _ in range(count):
        task = await backend.store.claim("w", 60_000)
        assert task is not None
        taken.append(task.id)
    return taken


async def test_a_backlog_does_not_starve_another_accounts_single_task(backend: Backend) -> None:
    busy, quiet = await account(backend, 0, "busy"), await account(backend, 0, "quiet")
    started = now_ms()
    for index in range(300):
        await queue(backend, busy, f"busy-{index:03d}")
    await queue(backend, quiet, "quiet-0")
    queued_for = now_ms() - started
    # Queued last, it runs second: after the one busy task already in its slot. (On a machine
    # so loaded that queueing the backlog took seconds, the slots of those seconds came first:
    # one more per second, still never the backlog's 300.)
    assert "quiet-0" in await claims(backend, 2 + queued_for // SLOT_MS)


async def test_backlogged_accounts_alternate(backend: Backend) -> None:
    first, second = await account(backend, 0, "a"), await account(backend, 0, "b")
    for index in range(5):
        await queue(backend, first, f"a{index}")
    for index in range(5):
        await queue(backend, second, f"b{index}")
    taken = await claims(backend, 10)
    assert [t[0] for t in taken] == ["a", "b"] * 5
    assert [t for t in taken if t[0] == "a"] == [f"a{i}" for i in range(5)]


async def test_priority_reorders_the_accounts_own_tasks_only(backend: Backend) -> None:
    first, second = await account(backend, 0, "a"), await account(backend, 0, "b")
    for index in range(3):
        await queue(backend, first, f"a{index}")
    await queue(backend, second, "b0")
    await queue(backend, first, "a-urgent", priority=5)
    await queue(backend, second, "b1", priority=-3)
    taken = await claims(backend, 6)
    # The urgent task takes its account's first slot; the other account keeps its turns.
    assert taken == ["a-urgent", "b0", "a0", "b1", "a1", "a2"]
