"""The task list, usage and cancelTask on a real PostgreSQL database (one per test, dropped
after): the same SQL as on SQLite, the cancel's refund and callback row in its transaction,
and the NOTIFY that reaches the worker running a cancelled task in another process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from imagegate.accounts.usage import usage
from imagegate.clock import now_ms
from imagegate.db.postgres.database import PostgresDatabase
from imagegate.db.postgres.outbox import PgOutbox
from imagegate.db.postgres.tasks import PostgresStore
from imagegate.errors import NotFound, ValidationFailed
from imagegate.tasks.cancel import CANCEL_CHANNEL, cancel_task
from imagegate.tasks.listing import TaskQuery, decode_cursor, list_tasks
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Beat

MODEL = "google/nano-banana"


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    db = await PostgresDatabase.open(postgres_url, max_size=4)
    try:
        yield PostgresStore(db)
    finally:
        await db.close()


async def new_account(store: PostgresStore, name: str = "a") -> str:
    made = await store.create_account(
        name=name, key_hash=f"hash-{name}", key_prefix="ig_x", credits_milli=100_000
    )
    return made.id


async def add(store: PostgresStore, owner: str, task_id: str, callback: str | None = None) -> None:
    await store.create_task(NewTask(
        id=task_id, account_id=owner, model=MODEL, param=json.dumps({"model": MODEL}),
        input={}, callback_url=callback, price_milli=4000,
    ))


async def test_pages_and_usage_read_the_same_on_postgres(store: PostgresStore) -> None:
    owner, other = await new_account(store), await new_account(store, "b")
    for index in range(5):
        await add(store, owner, f"t{index}")
        await asyncio.sleep(0.002)  # distinct create times, as tasks made apart have
    await add(store, other, "theirs")
    seen: list[str] = []
    query = TaskQuery(account_id=owner, limit=2)
    while True:
        page = await list_tasks(store, query)
        seen += [task.id for task in page.tasks]
        if page.next_cursor is None:
            break
        query = TaskQuery(account_id=owner, limit=2, cursor=decode_cursor(page.next_cursor))
    assert seen == [f"t{i}" for i in reversed(range(5))]
    await cancel_task(store, owner, "t1")
    failed = await list_tasks(store, TaskQuery(account_id=owner, states=("fail",)))
    assert [task.id for task in failed.tasks] == ["t1"]
    rows = await usage(store, owner, 0, 2**62)
    assert [(r.model, r.tasks, r.failed, r.running, r.credits_milli) for r in rows] == [
        (MODEL, 5, 1, 4, 16_000),
    ]


async def test_cancel_ends_a_waiting_task_refunded_with_its_callback_and_refuses_twice(
    store: PostgresStore,
) -> None:
    owner = await new_account(store)
    await add(store, owner, "t1", callback="http://127.0.0.1:9/cb")
    done = await cancel_task(store, owner, "t1")
    assert done.ended and done.task.state is TaskState.FAIL and done.task.fail_code == "CANCELED"
    assert (await store.get_account(owner)).credits_milli == 100_000  # type: ignore[union-attr]
    rows = await store.db.fetch("SELECT task_id, surface, balance_milli FROM callbacks")
    assert [tuple(r) for r in rows] == [("t1", "jobs", 100_000)]
    with pytest.raises(ValidationFailed, match="already finished"):
        await cancel_task(store, owner, "t1")
    with pytest.raises(NotFound):
        await cancel_task(store, await new_account(store, "b"), "t1")


async def test_cancel_of_a_claimed_task_fences_its_worker(store: PostgresStore) -> None:
    owner = await new_account(store)
    await add(store, owner, "t1")
    claimed = await store.claim("w", 30_000)
    assert claimed is not None and claimed.state is TaskState.QUEUING
    assert (await cancel_task(store, owner, "t1")).ended
    # The worker's next write finds its lease gone: it leaves the task alone.
    assert not await store.start_generating("t1", claimed.lease_token, "mock")
    assert (await store.get_task("t1")).fail_code == "CANCELED"  # type: ignore[union-attr]


async def test_cancel_of_a_generating_task_is_announced_and_seen_by_the_heartbeat(
    store: PostgresStore,
) -> None:
    owner = await new_account(store)
    await add(store, owner, "t1")
    claimed = await store.claim("w", 30_000)
    assert claimed is not None
    assert await store.start_generating("t1", claimed.lease_token, "mock")
    assert await store.heartbeat("t1", claimed.lease_token, 30_000) is Beat.HELD
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with store.db.listening(CANCEL_CHANNEL, heard.put_nowait):
        done = await cancel_task(store, owner, "t1")
        async with asyncio.timeout(5):
            assert await heard.get() == "t1"
    assert not done.ended and done.task.state is TaskState.GENERATING
    assert await store.heartbeat("t1", claimed.lease_token, 30_000) is Beat.CANCEL


async def test_callback_attempts_are_logged_with_their_outcome_and_redelivery_restarts(
    store: PostgresStore,
) -> None:
    owner = await new_account(store)
    await add(store, owner, "t1", callback="http://127.0.0.1:9/cb")
    await cancel_task(store, owner, "t1")  # ends it: its callback row is queued
    outbox = PgOutbox(store.db)
    [row] = await outbox.claim_due(10, 30_000)
    assert row.model == MODEL  # for the sender's log lines
    assert await outbox.mark_failed(row.id, 500, "HTTP 500", now_ms(), duration_ms=7)
    assert await outbox.mark_delivered(row.id, 204, duration_ms=3)
    logged = await outbox.attempts("t1")
    assert [(a.attempt, a.status, a.error, a.duration_ms) for a in logged] == [
        (1, 500, "HTTP 500", 7), (2, 204, None, 3),
    ]
    assert await outbox.redeliver("t1") and not await outbox.redeliver("no-such-task")
    again = await outbox.get("t1")
    assert again is not None and (again.state, again.attempts) == ("pending", 0)
