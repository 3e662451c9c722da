"""The task store on a real SQLite file: debits, claims, leases, fencing, refunds, outbox."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from imagegate.accounts.keys import AccountRequest, create_account
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.db.sqlite.tasks import SqliteStore
from imagegate.errors import InsufficientCredits
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Finish


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    db = SqliteDatabase(str(tmp_path / "tasks.db"))
    yield SqliteStore(db)
    db.close()


def new_task(account_id: str, task_id: str, price: int = 7000, callback: str | None = None):
    return NewTask(
        id=task_id,
        account_id=account_id,
        model="ideogram/v3-reframe",
        param=json.dumps({"model": "ideogram/v3-reframe", "input": {}}),
        input={"image_size": "square"},
        callback_url=callback,
        price_milli=price,
    )


def ledger_rows(store: SqliteStore, task_id: str) -> list[tuple[str, int]]:
    rows = store.db.conn.execute(
        "SELECT reason, delta_milli FROM credit_ledger WHERE task_id = ? ORDER BY id", (task_id,)
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


async def test_create_debits_and_inserts_in_one_transaction(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=10))
    task = await store.create_task(new_task(account.id, "t1"))
    assert task.state is TaskState.WAITING
    assert (await store.get_account(account.id)).credits_milli == 3000
    assert ledger_rows(store, "t1") == [("debit", -7000)]


async def test_short_balance_refuses_and_leaves_nothing(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=5))
    with pytest.raises(InsufficientCredits, match="costs 7, the balance is 5"):
        await store.create_task(new_task(account.id, "t1"))
    assert await store.get_task("t1") is None
    assert (await store.get_account(account.id)).credits_milli == 5000
    assert ledger_rows(store, "t1") == []


async def test_another_accounts_task_is_invisible(store: SqliteStore) -> None:
    alice, _ = await create_account(store, AccountRequest("alice", credits=10))
    bob, _ = await create_account(store, AccountRequest("bob", credits=10))
    await store.create_task(new_task(alice.id, "t1"))
    assert await store.get_task("t1", alice.id) is not None
    assert await store.get_task("t1", bob.id) is None


async def test_claims_oldest_first_and_never_twice(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=1000))
    for i in range(20):
        await store.create_task(new_task(account.id, f"t{i:02d}"))
    claims = await asyncio.gather(*[store.claim(f"w{i}", 60_000) for i in range(30)])
    claimed = [c.id for c in claims if c is not None]
    assert len(claimed) == 20 and len(set(claimed)) == 20
    assert all(c.state is TaskState.QUEUING for c in claims if c is not None)
    assert await store.claim("late", 60_000) is None


async def test_expired_lease_is_claimed_again_and_fences_the_old_owner(
    store: SqliteStore,
) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=100))
    await store.create_task(new_task(account.id, "t1", callback="http://127.0.0.1:9/cb"))
    first = await store.claim("w1", lease_ms=1)
    assert first is not None
    await asyncio.sleep(0.01)
    second = await store.claim("w2", lease_ms=60_000)
    assert second is not None and second.id == "t1"
    assert second.lease_token == first.lease_token + 1 and second.attempts == 2
    # The first owner comes back late: every write of it is refused.
    assert not await store.heartbeat("t1", first.lease_token, 60_000)
    assert not await store.start_generating("t1", first.lease_token, "mock")
    late = Finish(TaskState.SUCCESS, result_json='{"files":[]}', engine="mock")
    assert await store.finish("t1", first.lease_token, late) is None
    assert await store.start_generating("t1", second.lease_token, "mock")
    done = await store.finish("t1", second.lease_token, late)
    assert done is not None and done.state is TaskState.SUCCESS
    assert done.progress == 100 and done.complete_time is not None
    assert done.cost_time == done.complete_time - done.create_time
    # Charged once, no refund, one callback row.
    assert ledger_rows(store, "t1") == [("debit", -7000)]
    rows = store.db.conn.execute(
        "SELECT surface, balance_milli, body FROM callbacks WHERE task_id='t1'"
    ).fetchall()
    assert [tuple(r) for r in rows] == [("jobs", 93_000, None)]


async def test_failure_refunds_exactly_once(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=10))
    await store.create_task(new_task(account.id, "t1", callback="http://127.0.0.1:9/cb"))
    claim = await store.claim("w1", 60_000)
    assert claim is not None
    failed = Finish(TaskState.FAIL, fail_code="501", fail_msg="engine said no", engine="mock")
    done = await store.finish("t1", claim.lease_token, failed)
    assert done is not None and done.fail_code == "501" and done.fail_msg == "engine said no"
    assert await store.finish("t1", claim.lease_token, failed) is None
    assert (await store.get_account(account.id)).credits_milli == 10_000
    assert ledger_rows(store, "t1") == [("debit", -7000), ("refund", 7000)]
    # The row names the task and keeps the balance after the refund: the sender renders it.
    cb = store.db.conn.execute("SELECT task_id, surface, balance_milli FROM callbacks").fetchone()
    assert tuple(cb) == ("t1", "jobs", 10_000)


async def test_ledger_refuses_a_second_debit_for_one_task(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=100))
    await store.create_task(new_task(account.id, "t1"))
    with pytest.raises(sqlite3.IntegrityError):
        await store.create_task(new_task(account.id, "t1"))
    # The failed second create rolled back whole: its debit did not stick.
    assert (await store.get_account(account.id)).credits_milli == 93_000


async def test_progress_only_moves_forward(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=100))
    await store.create_task(new_task(account.id, "t1"))
    claim = await store.claim("w1", 60_000)
    assert await store.start_generating("t1", claim.lease_token, "mock")
    assert await store.heartbeat("t1", claim.lease_token, 60_000, progress=60)
    assert await store.heartbeat("t1", claim.lease_token, 60_000, progress=40)
    task = await store.get_task("t1")
    assert task.state is TaskState.GENERATING and task.progress == 60


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


async def test_released_task_is_waiting_again_and_claimed_at_once(store: SqliteStore) -> None:
    account, _ = await create_account(store, AccountRequest("a", credits=100))
    await store.create_task(new_task(account.id, "t1"))
    claim = await store.claim("w1", 60_000)
    assert await store.release("t1", claim.lease_token)
    assert (await store.get_task("t1")).state is TaskState.WAITING
    again = await store.claim("w2", 60_000)
    assert again is not None and again.lease_token == claim.lease_token + 1


async def test_success_only_from_a_claimed_task_and_once(store: SqliteStore) -> None:
    # From queuing too: an engine that answered before the task was shown generating
    # (worker/generating.py). Never from waiting, never twice.
    account, _ = await create_account(store, AccountRequest("a", credits=100))
    await store.create_task(new_task(account.id, "t1"))
    await store.create_task(new_task(account.id, "t2"))
    done = Finish(TaskState.SUCCESS, result_json='{"files":[]}')
    assert await store.finish("t2", 0, done) is None  # waiting: nobody holds it
    claim = await store.claim("w1", 60_000)
    assert claim is not None and claim.state is TaskState.QUEUING
    assert await store.finish(claim.id, claim.lease_token, done) is not None
    assert await store.finish(claim.id, claim.lease_token, done) is None  # once
    other = await store.claim("w1", 60_000)
    assert other is not None
    assert await store.start_generating(other.id, other.lease_token, "mock")
    assert await store.finish(other.id, other.lease_token, done) is not None


async def test_writes_of_one_turn_share_a_commit_but_fail_alone(store: SqliteStore) -> None:
    rich, _ = await create_account(store, AccountRequest("rich", credits=100))
    poor, _ = await create_account(store, AccountRequest("poor", credits=1))
    results = await asyncio.gather(
        store.create_task(new_task(rich.id, "t1")),
        store.create_task(new_task(poor.id, "t2")),  # 402: rolled back alone
        store.create_task(new_task(rich.id, "t3")),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Task", "InsufficientCredits", "Task"]
    assert await store.get_task("t2") is None
    assert {t.id for t in [await store.get_task("t1"), await store.get_task("t3")]} == {
        "t1", "t3",
    }
    assert (await store.get_account(rich.id)).credits_milli == 86_000
    assert (await store.get_account(poor.id)).credits_milli == 1000
    assert ledger_rows(store, "t2") == []
    assert not store.db.conn.in_transaction


async def test_a_lone_failing_write_leaves_nothing_behind(store: SqliteStore) -> None:
    poor, _ = await create_account(store, AccountRequest("poor", credits=1))
    with pytest.raises(InsufficientCredits):
        await store.create_task(new_task(poor.id, "t1"))
    assert not store.db.conn.in_transaction
    assert await store.get_task("t1") is None
