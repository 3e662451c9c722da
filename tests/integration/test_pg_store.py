"""The task store on a real PostgreSQL database (one per test, dropped after): the guarantees
of the SQLite store — one debit, one refund, claims never shared, a stale lease fenced — under
concurrent workers, plus the queue's NOTIFY and a worker's model filter."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from imagegate.db.postgres.creates import wake_payload
from imagegate.db.postgres.database import TASKS_CHANNEL, PostgresDatabase
from imagegate.db.postgres.files import PgFileRegistry
from imagegate.db.postgres.tasks import PostgresStore
from imagegate.errors import InsufficientCredits, ValidationFailed
from imagegate.tasks.files import StoredFile
from imagegate.tasks.model import IdempotencyKey, NewTask
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Finish

REFRAME = "ideogram/v3-reframe"


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    db = await PostgresDatabase.open(postgres_url, max_size=12)
    try:
        yield PostgresStore(db)
    finally:
        await db.close()


async def account(store: PostgresStore, credits: int = 100, name: str = "a") -> str:
    made = await store.create_account(
        name=name, key_hash=f"hash-{name}", key_prefix="ig_x", credits_milli=credits * 1000
    )
    return made.id


def new_task(account_id: str, task_id: str, price: int = 7000, model: str = REFRAME,
             callback: str | None = None) -> NewTask:
    return NewTask(id=task_id, account_id=account_id, model=model,
                   param=json.dumps({"model": model}), input={"image_size": "square"},
                   callback_url=callback, price_milli=price)


async def test_create_debits_once_and_a_short_balance_leaves_nothing(
    store: PostgresStore,
) -> None:
    owner = await account(store, credits=10)
    task = await store.create_task(new_task(owner, "t1"))
    assert task.state is TaskState.WAITING
    assert (await store.get_account(owner)).credits_milli == 3000  # type: ignore[union-attr]
    with pytest.raises(InsufficientCredits, match="costs 7, the balance is 3"):
        await store.create_task(new_task(owner, "t2"))
    assert await store.get_task("t2") is None
    assert [(r["task_id"], r["reason"]) for r in await store.ledger(owner)] == [
        (None, "grant"), ("t1", "debit")
    ]


async def test_an_idempotency_key_makes_one_task_and_one_debit(store: PostgresStore) -> None:
    owner = await account(store)
    key = IdempotencyKey("k1", "hash-of-request", 60_000)
    first, second = await asyncio.gather(
        store.create_task(new_task(owner, "ta"), key), store.create_task(new_task(owner, "tb"), key)
    )
    assert first.id == second.id
    assert (await store.get_account(owner)).credits_milli == 93_000  # type: ignore[union-attr]
    assert (await store.keyed_task(owner, key)).id == first.id  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed, match="used for another request"):
        await store.create_task(new_task(owner, "tc"), IdempotencyKey("k1", "other", 60_000))


async def test_concurrent_workers_never_claim_a_task_twice(store: PostgresStore) -> None:
    owner = await account(store, credits=1000)
    for index in range(60):
        await store.create_task(new_task(owner, f"t{index:02d}", price=1000))

    async def worker(name: str) -> list[str]:
        taken = []
        while (task := await store.claim(name, 30_000)) is not None:
            taken.append(task.id)
        return taken

    claimed = await asyncio.gather(*(worker(f"w{i}") for i in range(8)))
    every = [task_id for ids in claimed for task_id in ids]
    assert sorted(every) == [f"t{index:02d}" for index in range(60)]
    assert len(set(every)) == 60
    assert (await store.count_by_state()) == {"queuing": 60}


async def test_oldest_first_and_only_the_models_a_worker_serves(store: PostgresStore) -> None:
    owner = await account(store)
    await store.create_task(new_task(owner, "old", price=0))
    await store.create_task(new_task(owner, "banana", price=0, model="google/nano-banana"))
    await store.create_task(new_task(owner, "new", price=0))
    only_banana = await store.claim("gpu", 30_000, models=["google/nano-banana"])
    assert only_banana is not None and only_banana.id == "banana"
    assert await store.claim("gpu", 30_000, models=["google/nano-banana"]) is None
    first = await store.claim("cpu", 30_000)
    assert first is not None and first.id == "old"


async def test_an_expired_lease_is_claimed_again_and_fences_the_old_owner(
    store: PostgresStore,
) -> None:
    owner = await account(store)
    await store.create_task(new_task(owner, "t1", callback="http://127.0.0.1:9/cb"))
    slow = await store.claim("slow", 1)  # a 1 ms lease: expired at once
    assert slow is not None
    await asyncio.sleep(0.01)
    fast = await store.claim("fast", 30_000)
    assert fast is not None and fast.id == "t1" and fast.lease_token == slow.lease_token + 1
    assert not await store.heartbeat("t1", slow.lease_token, 30_000)
    assert not await store.start_generating("t1", slow.lease_token, "mock")
    assert await store.start_generating("t1", fast.lease_token, "mock")
    assert await store.set_engine("t1", fast.lease_token, "classic")
    done = Finish(TaskState.SUCCESS, result_json='{"files": []}', engine="classic")
    assert await store.finish("t1", slow.lease_token, done) is None
    finished = await store.finish("t1", fast.lease_token, done)
    assert finished is not None and finished.state is TaskState.SUCCESS
    assert finished.engine == "classic" and finished.progress == 100
    # Finished once: a second finish, even with the right token, changes nothing.
    assert await store.finish("t1", fast.lease_token, done) is None
    rows = await store.db.fetch("SELECT task_id, surface, balance_milli, body FROM callbacks")
    assert [tuple(r) for r in rows] == [("t1", "jobs", 93000, None)]


async def test_a_failure_is_refunded_exactly_once(store: PostgresStore) -> None:
    owner = await account(store)
    await store.create_task(new_task(owner, "t1"))
    task = await store.claim("w", 30_000)
    assert task is not None
    failed = Finish(TaskState.FAIL, fail_code="500", fail_msg="boom")
    assert await store.finish("t1", task.lease_token, failed) is not None
    assert await store.finish("t1", task.lease_token, failed) is None
    assert (await store.get_account(owner)).credits_milli == 100_000  # type: ignore[union-attr]
    reasons = [r["reason"] for r in await store.ledger(owner) if r["task_id"] == "t1"]
    assert reasons == ["debit", "refund"]


async def test_a_finish_writes_its_files_and_a_failed_callback_task_reports_the_refund(
    store: PostgresStore,
) -> None:
    owner = await account(store)
    await store.create_task(new_task(owner, "ok"))
    await store.create_task(new_task(owner, "bad", callback="http://127.0.0.1:9/cb"))
    files = tuple(
        StoredFile(key=f"results/ok/{i}.png", account_id=owner, kind="result", task_id="ok",
                   file_name=f"ok-{i}.png", mime_type="image/png", size=10 + i,
                   created_at=1, expires_at=2 + i)
        for i in range(2)
    )
    first = await store.claim("w", 30_000)
    assert first is not None and first.id == "ok"
    assert await store.start_generating("ok", first.lease_token, "mock")
    success = Finish(TaskState.SUCCESS, result_json='{"files": []}', files=files)
    stale = await store.finish("ok", first.lease_token + 1, success)
    assert stale is None and await PgFileRegistry(store.db).get(files[0].key) is None
    assert await store.finish("ok", first.lease_token, success) is not None
    assert [await PgFileRegistry(store.db).get(f.key) for f in files] == list(files)
    second = await store.claim("w", 30_000)
    assert second is not None and second.id == "bad"
    failed = Finish(TaskState.FAIL, fail_code="500", fail_msg="boom")
    assert await store.finish("bad", second.lease_token, failed) is not None
    # One debit left standing (the success's), the failure's refunded before its callback.
    rows = await store.db.fetch("SELECT task_id, surface, balance_milli FROM callbacks")
    assert [tuple(r) for r in rows] == [("bad", "jobs", 93000)]


async def test_progress_only_moves_forward_and_release_gives_the_task_back(
    store: PostgresStore,
) -> None:
    owner = await account(store)
    await store.create_task(new_task(owner, "t1", price=0))
    task = await store.claim("w", 30_000)
    assert task is not None
    assert await store.start_generating("t1", task.lease_token, "mock")
    assert await store.heartbeat("t1", task.lease_token, 30_000, progress=60)
    assert await store.heartbeat("t1", task.lease_token, 30_000, progress=40)
    assert (await store.get_task("t1")).progress == 60  # type: ignore[union-attr]
    assert await store.release("t1", task.lease_token)
    again = await store.claim("w2", 30_000)
    assert again is not None and again.id == "t1" and again.state is TaskState.QUEUING


async def test_creating_a_task_notifies_listening_workers_with_its_model(
    store: PostgresStore,
) -> None:
    owner = await account(store)
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with store.db.listening(TASKS_CHANNEL, heard.put_nowait):
        await store.create_task(new_task(owner, "t1", price=0, model="google/nano-banana"))
        async with asyncio.timeout(5):
            assert wake_payload(await heard.get()) == ("google/nano-banana", 1)


async def test_meta_and_grants(store: PostgresStore) -> None:
    owner = await account(store, credits=1)
    assert await store.get_meta("admin_key_hash") is None
    await store.set_meta("admin_key_hash", "a")
    await store.set_meta("admin_key_hash", "b")
    assert await store.get_meta("admin_key_hash") == "b"
    assert await store.grant_credits(owner, 2500) == 3500
    assert await store.grant_credits("nobody", 1) is None
    assert (await store.account_by_key_hash("hash-a")).id == owner  # type: ignore[union-attr]
    assert [a.id for a in await store.list_accounts()] == [owner]


async def test_a_keyed_create_refused_for_credits_leaves_its_key_free(
    store: PostgresStore,
) -> None:
    owner = await account(store, credits=5)
    key = IdempotencyKey("k-short", "hash-of-request", 60_000)
    with pytest.raises(InsufficientCredits):
        await store.create_task(new_task(owner, "t1"), key)
    assert await store.keyed_task(owner, key) is None
    await store.grant_credits(owner, 5000)
    made = await store.create_task(new_task(owner, "t2"), key)
    assert made.id == "t2" and (await store.keyed_task(owner, key)).id == "t2"  # type: ignore[union-attr]
