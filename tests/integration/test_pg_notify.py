"""What only the PostgreSQL store does, on a real PostgreSQL database (one per test, dropped
after): its NOTIFYs, which reach the worker processes of a fleet. A create announces its model
on ``imagegate_tasks``; a cancel of a generating task announces the task on
``imagegate_cancel``, so whichever process runs it learns at once. The store's contract
(debits, claims under concurrent workers, leases, refunds, cancels) is tests/contract/'s, on
every backend."""

from __future__ import annotations

import asyncio
import json

import pytest

from imagegate.db.postgres.tasks import PostgresStore
from imagegate.db.signals import TASKS_CHANNEL, wake_payload
from imagegate.tasks.cancel import CANCEL_CHANNEL, cancel_task
from imagegate.tasks.model import NewTask

BANANA = "google/nano-banana"


@pytest.fixture
def store(pg_store: PostgresStore) -> PostgresStore:
    return pg_store


async def account(store: PostgresStore) -> str:
    made = await store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_x", credits_milli=100_000
    )
    return made.id


def new_task(account_id: str, task_id: str) -> NewTask:
    return NewTask(id=task_id, account_id=account_id, model=BANANA,
                   param=json.dumps({"model": BANANA}), input={}, callback_url=None,
                   price_milli=0)


async def test_creating_a_task_notifies_listening_workers_with_its_model(
    store: PostgresStore,
) -> None:
    owner = await account(store)
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with store.db.listening(TASKS_CHANNEL, heard.put_nowait):
        await store.create_task(new_task(owner, "t1"))
        async with asyncio.timeout(5):
            assert wake_payload(await heard.get()) == (BANANA, 1)


async def test_cancel_of_a_generating_task_is_announced_to_every_process(
    store: PostgresStore,
) -> None:
    owner = await account(store)
    await store.create_task(new_task(owner, "t1"))
    claimed = await store.claim("w", 30_000)
    assert claimed is not None
    assert await store.start_generating("t1", claimed.lease_token, "mock")
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with store.db.listening(CANCEL_CHANNEL, heard.put_nowait):
        done = await cancel_task(store, owner, "t1")
        async with asyncio.timeout(5):
            assert await heard.get() == "t1"
    assert not done.ended
