"""The callback outbox (``Outbox``) on every backend: due rows claimed under a lease, each
attempt's outcome and its history, a redelivery that starts again, and the sender's counts.
The rows come the way they do in service: written by a task's terminal move.

Folded here: test_pg_task_list.py's attempts-and-redelivery case; the lease case of
test_callbacks.py (SQLite) on every backend."""

from __future__ import annotations

import asyncio

from imagegate.backend import Backend
from imagegate.clock import now_ms
from imagegate.tasks.cancel import cancel_task
from imagegate.tasks.outbox import MAX_ERROR_CHARS

from contract_kit import BANANA, HOOK, account, new_task


async def ended(backend: Backend, owner: str, *task_ids: str) -> None:
    """Tasks that end at once (cancelled), each queueing its callback row."""
    for task_id in task_ids:
        await backend.store.create_task(new_task(owner, task_id, 1000, model=BANANA,
                                                 callback=HOOK))
        await cancel_task(backend.store, owner, task_id)


async def test_attempts_are_logged_with_their_outcome_and_redelivery_restarts(
    backend: Backend,
) -> None:
    outbox = backend.outbox
    owner = await account(backend)
    await ended(backend, owner, "t1")
    [row] = await outbox.claim_due(10, 30_000)
    assert (row.task_id, row.account_id, row.url, row.state) == ("t1", owner, HOOK, "pending")
    assert row.model == BANANA and row.engine is None  # for the sender's log lines
    assert await outbox.mark_failed(row.id, 500, "HTTP 500", now_ms(), duration_ms=7)
    assert await outbox.mark_delivered(row.id, 204, duration_ms=3)
    logged = await outbox.attempts("t1")
    assert [(a.attempt, a.status, a.error, a.duration_ms) for a in logged] == [
        (1, 500, "HTTP 500", 7), (2, 204, None, 3),
    ]
    delivered = await outbox.get("t1")
    assert delivered is not None and (delivered.state, delivered.attempts) == ("delivered", 2)
    assert delivered.last_status == 204 and delivered.delivered_at is not None
    assert await outbox.redeliver("t1") and not await outbox.redeliver("no-such-task")
    again = await outbox.get("t1")
    assert again is not None and (again.state, again.attempts) == ("pending", 0)
    assert await outbox.attempts("no-such-task") == [] and await outbox.get("nope") is None


async def test_claims_are_leased_until_the_outcome_is_recorded(backend: Backend) -> None:
    outbox = backend.outbox
    await ended(backend, await account(backend), "task-lease")
    assert await outbox.claim_due(0, 60_000) == []
    [claimed] = await outbox.claim_due(10, lease_ms=60_000)
    assert await outbox.claim_due(10, lease_ms=60_000) == []
    # Leased: due again when the lease ends, unless its outcome comes first.
    assert (await outbox.next_due_at() or 0) > now_ms() + 50_000
    assert await outbox.mark_failed(claimed.id, None, "boom", now_ms() - 1)
    [again] = await outbox.claim_due(10, lease_ms=60_000)
    assert (again.id, again.attempts, again.last_error) == (claimed.id, 1, "boom")
    assert await outbox.mark_delivered(again.id, 204)
    # A late report from a stale pass cannot undo the delivery, nor deliver twice.
    assert not await outbox.mark_failed(again.id, 500, "late", None)
    assert not await outbox.mark_delivered(again.id, 200)
    assert (await outbox.get("task-lease")).state == "delivered"  # type: ignore[union-attr]
    assert not await outbox.mark_delivered(10**6, 200)  # no such row


async def test_a_lease_that_expires_is_claimed_again(backend: Backend) -> None:
    outbox = backend.outbox
    await ended(backend, await account(backend), "t1")
    [first] = await outbox.claim_due(10, lease_ms=1)
    await asyncio.sleep(0.01)
    [second] = await outbox.claim_due(10, lease_ms=60_000)
    assert second.id == first.id


async def test_given_up_rows_are_dead_and_errors_are_cut(backend: Backend) -> None:
    outbox = backend.outbox
    owner = await account(backend)
    await ended(backend, owner, "t1", "t2")
    first, second = await outbox.claim_due(10, 60_000)
    assert (first.task_id, second.task_id) == ("t1", "t2")  # due together: in id order
    assert await outbox.mark_failed(first.id, None, "x" * 5000, None)
    dead = await outbox.get("t1")
    assert dead is not None and dead.state == "dead" and dead.last_status is None
    assert dead.last_error == "x" * MAX_ERROR_CHARS
    assert not await outbox.mark_failed(first.id, 500, "again", None)  # no longer pending
    # A delivery over a dead row still counts: the receiver did get it.
    assert await outbox.mark_delivered(first.id, 200)
    assert [a.error for a in await outbox.attempts("t1")] == ["x" * MAX_ERROR_CHARS, "again",
                                                              None]


async def test_counts_due_times_and_an_accounts_rows(backend: Backend) -> None:
    outbox = backend.outbox
    assert await outbox.pending_count() == 0 and await outbox.next_due_at() is None
    owner, other = await account(backend), await account(backend, name="b")
    before = now_ms()
    await ended(backend, owner, "t1", "t2", "t3")
    await ended(backend, other, "theirs")
    assert await outbox.pending_count() == 4
    due = await outbox.next_due_at()
    assert due is not None and before <= due <= now_ms()
    first, second, *_ = await outbox.claim_due(2, 60_000)
    # Leased rows fall due when their lease ends (the earliest other row is due now).
    assert (await outbox.next_due_at() or 0) <= now_ms()
    assert await outbox.mark_delivered(first.id, 200)
    later = now_ms() + 60_000
    assert await outbox.mark_failed(second.id, 503, "busy", later)
    assert await outbox.pending_count() == 3
    listed = await outbox.list_for_account(owner)
    assert [r.task_id for r in listed] == ["t3", "t2", "t1"]  # newest first
    assert [r.task_id for r in await outbox.list_for_account(owner, state="delivered")] == ["t1"]
    assert [r.task_id for r in await outbox.list_for_account(owner, limit=1)] == ["t3"]
    assert [r.task_id for r in await outbox.list_for_account(other)] == ["theirs"]
    retry = await outbox.get("t2")
    assert retry is not None and (retry.next_attempt_at, retry.last_status) == (later, 503)
