"""Combined creates on a real PostgreSQL (db/postgres/creates.py): creates that arrive together
are written in one statement, and each is still debited once, refused exactly when a create
alone would be, ordered fairly, and announced to the workers."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from imagegate.db.postgres.database import PostgresDatabase
from imagegate.db.postgres.tasks import PostgresStore
from imagegate.db.signals import TASKS_CHANNEL, wake_payload
from imagegate.errors import InsufficientCredits
from imagegate.tasks.fairness import SLOT_MS
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState

MODEL = "google/nano-banana"


@pytest.fixture
def store(pg_store: PostgresStore) -> PostgresStore:
    return pg_store


async def account(store: PostgresStore, credits: int, name: str = "a") -> str:
    made = await store.create_account(
        name=name, key_hash=f"hash-{name}", key_prefix="ig_x", credits_milli=credits * 1000
    )
    return made.id


def task(account_id: str, task_id: str, price: int, priority: int = 0) -> NewTask:
    return NewTask(id=task_id, account_id=account_id, model=MODEL,
                   param=json.dumps({"model": MODEL}), input={"prompt": task_id},
                   callback_url=None, price_milli=price * 1000, priority=priority)


async def transactions(store: PostgresStore) -> int:
    """How many transactions wrote the tasks: rows written by one statement share its xmin."""
    row = await store.db.fetchrow("SELECT count(DISTINCT xmin::text) AS n FROM tasks")
    return int(row["n"])


async def test_concurrent_creates_are_one_statement_debited_once_each(
    store: PostgresStore,
) -> None:
    owner = await account(store, credits=100)
    first = asyncio.ensure_future(store.create_task(task(owner, "t00", 1)))
    await asyncio.sleep(0)  # the first is on its way: the next 19 gather behind it
    rest = [store.create_task(task(owner, f"t{i:02d}", 1)) for i in range(1, 20)]
    made = await asyncio.gather(first, *rest)
    assert [t.id for t in made] == [f"t{i:02d}" for i in range(20)]
    assert all(t.state is TaskState.WAITING and t.price_milli == 1000 for t in made)
    assert (await store.get_account(owner)).credits_milli == 80_000  # type: ignore[union-attr]
    debits = [r for r in await store.ledger(owner) if r["reason"] == "debit"]
    assert sorted(r["task_id"] for r in debits) == [f"t{i:02d}" for i in range(20)]
    # One account, twenty creates, and every fair key its own slot, in arrival order.
    rows = await store.db.fetch("SELECT fair_key FROM tasks WHERE id <> 't00' ORDER BY id")
    keys = [int(r["fair_key"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == 19
    assert all(b - a == SLOT_MS for a, b in itertools.pairwise(keys))


async def test_a_batch_gathers_while_the_previous_one_commits(store: PostgresStore) -> None:
    owner = await account(store, credits=100)
    first = asyncio.ensure_future(store.create_task(task(owner, "a0", 1)))
    await asyncio.sleep(0)
    await asyncio.gather(first, *(store.create_task(task(owner, f"a{i}", 1))
                                  for i in range(1, 30)))
    # The first create alone, then the 29 that came while it committed, together.
    assert await transactions(store) == 2


async def test_a_short_balance_refuses_exactly_the_creates_a_lone_create_would(
    store: PostgresStore,
) -> None:
    # Ten credits; 8, 5 and 2 arrive together. Alone, one after the other: 8 is debited, 5 is
    # refused (2 left), 2 is debited. The batch covers only 8; 5 and 2 are decided alone.
    owner = await account(store, credits=10)
    results = await asyncio.gather(
        store.create_task(task(owner, "big", 8)),
        store.create_task(task(owner, "mid", 5)),
        store.create_task(task(owner, "small", 2)),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Task", "InsufficientCredits", "Task"]
    assert "the balance is 2" in str(results[1])
    assert (await store.get_account(owner)).credits_milli == 0  # type: ignore[union-attr]
    assert await store.get_task("mid") is None
    ledger = await store.ledger(owner)
    assert sorted((r["task_id"], r["delta_milli"]) for r in ledger if r["reason"] == "debit") \
        == [("big", -8000), ("small", -2000)]


async def test_two_accounts_in_one_batch_keep_their_own_balances(
    store: PostgresStore,
) -> None:
    rich = await account(store, credits=50, name="rich")
    poor = await account(store, credits=1, name="poor")
    results = await asyncio.gather(
        *(store.create_task(task(rich, f"r{i}", 5)) for i in range(5)),
        *(store.create_task(task(poor, f"p{i}", 1)) for i in range(3)),
        return_exceptions=True,
    )
    kinds = [type(r).__name__ for r in results]
    assert kinds[:5] == ["Task"] * 5
    assert sorted(kinds[5:]) == ["InsufficientCredits", "InsufficientCredits", "Task"]
    assert all(isinstance(r, InsufficientCredits) or r.account_id in (rich, poor)
               for r in results)
    assert (await store.get_account(rich)).credits_milli == 25_000  # type: ignore[union-attr]
    assert (await store.get_account(poor)).credits_milli == 0  # type: ignore[union-attr]


async def test_a_batch_wakes_the_workers_with_its_count_per_model(
    store: PostgresStore,
) -> None:
    owner = await account(store, credits=100)
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with store.db.listening(TASKS_CHANNEL, heard.put_nowait):
        first = asyncio.ensure_future(store.create_task(task(owner, "n0", 0)))
        await asyncio.sleep(0)
        await asyncio.gather(first, *(store.create_task(task(owner, f"n{i}", 0))
                                      for i in range(1, 6)))
        total = 0
        async with asyncio.timeout(5):
            while total < 6:
                model, count = wake_payload(await heard.get())
                assert model == MODEL
                total += count
        assert total == 6 and heard.empty()


async def test_two_processes_batching_the_same_accounts_never_deadlock(
    store: PostgresStore, postgres_url: str
) -> None:
    # Two API processes (two pools, two combiners), each writing batches that hold both
    # accounts, in opposite arrival orders: the batches queue on the account rows (locked in
    # id order whatever the arrival order), none fails, every create is debited once.
    first = await account(store, credits=1000, name="first")
    second = await account(store, credits=1000, name="second")
    other_db = await PostgresDatabase.open(postgres_url, max_size=4)
    try:
        other = PostgresStore(other_db)
        creates = []
        for i in range(150):
            creates.append(store.create_task(task((first, second)[i % 2], f"x{i}", 1)))
            creates.append(other.create_task(task((second, first)[i % 2], f"y{i}", 1)))
        made = await asyncio.gather(*creates)
    finally:
        await other_db.close()
    assert len({t.id for t in made}) == 300
    for owner in (first, second):
        balance = (await store.get_account(owner)).credits_milli  # type: ignore[union-attr]
        assert balance == (1000 - 150) * 1000


async def test_a_failed_batch_answers_every_create_and_the_next_one_is_written(
    store: PostgresStore,
) -> None:
    import asyncpg

    owner = await account(store, credits=100)
    first = asyncio.ensure_future(store.create_task(task(owner, "ok0", 1)))
    await asyncio.sleep(0)
    # The same id twice in the batch behind it: its statement fails as a whole, and each of
    # its creates hears so instead of waiting forever.
    results = await asyncio.gather(
        first, store.create_task(task(owner, "dup", 1)), store.create_task(task(owner, "dup", 1)),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == [
        "Task", "UniqueViolationError", "UniqueViolationError",
    ]
    assert isinstance(results[1], asyncpg.UniqueViolationError)
    assert (await store.create_task(task(owner, "after", 1))).id == "after"
    assert (await store.get_account(owner)).credits_milli == 98_000  # type: ignore[union-attr]
