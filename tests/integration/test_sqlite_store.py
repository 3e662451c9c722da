"""What only the SQLite store has, on a real SQLite file: its one writer shared with another
process (a write waits for that process's lock without blocking the event loop) and its group
commit (writes of one event-loop turn share a transaction, each in its savepoint, and leave none
open). The store's contract (debits, claims, leases, fencing, refunds, callback rows) is
tests/contract/'s, on every backend."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagegate.accounts.keys import AccountRequest, create_account
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.db.sqlite.tasks import SqliteStore
from imagegate.errors import InsufficientCredits
from imagegate.tasks.model import NewTask


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    db = SqliteDatabase(str(tmp_path / "tasks.db"))
    yield SqliteStore(db)
    db.close()


def new_task(account_id: str, task_id: str, price: int = 7000) -> NewTask:
    return NewTask(
        id=task_id,
        account_id=account_id,
        model="ideogram/v3-reframe",
        param=json.dumps({"model": "ideogram/v3-reframe", "input": {}}),
        input={"image_size": "square"},
        callback_url=None,
        price_milli=price,
    )


async def test_a_second_process_holding_the_lock_delays_but_does_not_fail_a_write(
    store: SqliteStore, tmp_path: Path
) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=100))
    other = sqlite3.connect(str(tmp_path / "tasks.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    pending = asyncio.create_task(store.create_task(new_task(account.id, "t1")))
    await asyncio.sleep(0.1)
    assert not pending.done()  # waiting for the other writer, without blocking the loop
    other.execute("COMMIT")
    task = await asyncio.wait_for(pending, 5)
    assert task.id == "t1"
    other.close()


async def test_writes_of_one_turn_share_a_commit_but_fail_alone(store: SqliteStore) -> None:
    # The outcome on every backend: tests/contract/test_contract_create.py
    # (test_creates_at_once_fail_alone); here, that the shared commit leaves no transaction.
    rich, _ = await create_account(store, AccountRequest("rich", credits=100))
    poor, _ = await create_account(store, AccountRequest("poor", credits=1))
    results = await asyncio.gather(
        store.create_task(new_task(rich.id, "t1")),
        store.create_task(new_task(poor.id, "t2")),  # 402: rolled back alone
        store.create_task(new_task(rich.id, "t3")),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Task", "InsufficientCredits", "Task"]
    assert not store.db.conn.in_transaction


async def test_a_lone_failing_write_leaves_nothing_behind(store: SqliteStore) -> None:
    poor, _ = await create_account(store, AccountRequest("poor", credits=1))
    with pytest.raises(InsufficientCredits):
        await store.create_task(new_task(poor.id, "t1"))
    assert not store.db.conn.in_transaction
    assert await store.get_task("t1") is None
