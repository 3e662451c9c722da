"""TaskStore's create on every backend: the debit, its ledger row and the task in one step (402
when short, leaving nothing), an Idempotency-Key claimed in that same step, a key's spending
caps (433), and a task visible only to its account.

Folded here: test_store.py's and test_pg_store.py's create cases, test_idempotency.py's store
cases."""

from __future__ import annotations

import asyncio

import pytest

from imagegate.accounts.model import SpendCaps
from imagegate.accounts.store import NewKey
from imagegate.backend import Backend
from imagegate.errors import InsufficientCredits, SpendCapReached, ValidationFailed
from imagegate.tasks.idempotency import request_hash
from imagegate.tasks.model import IdempotencyKey
from imagegate.tasks.state import TaskState

from contract_kit import DAY_MS, Rows, account, new_task

KEYED = IdempotencyKey("k", request_hash({"model": "m", "input": {}}), DAY_MS)


async def task_ledger(backend: Backend, owner: str, task_id: str) -> list[tuple[str, int]]:
    return [(r["reason"], r["delta_milli"]) for r in await backend.store.ledger(owner)
            if r["task_id"] == task_id]


async def test_create_debits_and_inserts_in_one_step(backend: Backend) -> None:
    owner = await account(backend, credits=10)
    task = await backend.store.create_task(new_task(owner, "t1"))
    assert task.state is TaskState.WAITING and task.id == "t1"
    assert (task.progress, task.attempts, task.lease_token, task.price_milli) == (0, 0, 0, 7000)
    assert task.create_time == task.update_time and task.complete_time is None
    assert task.input == {"image_size": "square"}
    assert (await backend.store.get_account(owner)).credits_milli == 3000  # type: ignore[union-attr]
    assert await task_ledger(backend, owner, "t1") == [("debit", -7000)]
    assert await backend.store.get_task("t1") == task


async def test_a_short_balance_refuses_and_leaves_nothing(backend: Backend) -> None:
    owner = await account(backend, credits=10)
    await backend.store.create_task(new_task(owner, "t1"))
    with pytest.raises(InsufficientCredits, match="costs 7, the balance is 3"):
        await backend.store.create_task(new_task(owner, "t2"))
    assert await backend.store.get_task("t2") is None
    assert (await backend.store.get_account(owner)).credits_milli == 3000  # type: ignore[union-attr]
    assert [(r["task_id"], r["reason"]) for r in await backend.store.ledger(owner)] == [
        (None, "grant"), ("t1", "debit"),
    ]
    # An unknown account has no balance at all.
    with pytest.raises(InsufficientCredits, match="the balance is 0"):
        await backend.store.create_task(new_task("nobody", "t3"))


async def test_a_free_task_is_not_in_the_ledger(backend: Backend) -> None:
    owner = await account(backend, credits=0)
    await backend.store.create_task(new_task(owner, "free", price=0))
    assert await task_ledger(backend, owner, "free") == []


async def test_another_accounts_task_is_invisible(backend: Backend) -> None:
    alice, bob = await account(backend, name="alice"), await account(backend, name="bob")
    await backend.store.create_task(new_task(alice, "t1"))
    assert await backend.store.get_task("t1", alice) is not None
    assert await backend.store.get_task("t1", bob) is None
    assert await backend.store.get_task("no-such-task") is None


async def test_a_second_task_with_one_id_is_refused_whole(
    backend: Backend, duplicate_error: type[Exception]
) -> None:
    owner = await account(backend)
    await backend.store.create_task(new_task(owner, "t1"))
    with pytest.raises(duplicate_error):
        await backend.store.create_task(new_task(owner, "t1"))
    # The failed second create left nothing: its debit did not stick.
    assert (await backend.store.get_account(owner)).credits_milli == 93_000  # type: ignore[union-attr]


async def test_creates_at_once_fail_alone(backend: Backend) -> None:
    rich, poor = await account(backend, name="rich"), await account(backend, 1, "poor")
    results = await asyncio.gather(
        backend.store.create_task(new_task(rich, "t1")),
        backend.store.create_task(new_task(poor, "t2")),  # 402: refused alone
        backend.store.create_task(new_task(rich, "t3")),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Task", "InsufficientCredits", "Task"]
    assert await backend.store.get_task("t2") is None
    assert await backend.store.get_task("t1") is not None
    assert await backend.store.get_task("t3") is not None
    assert (await backend.store.get_account(rich)).credits_milli == 86_000  # type: ignore[union-attr]
    assert (await backend.store.get_account(poor)).credits_milli == 1000  # type: ignore[union-attr]
    assert await task_ledger(backend, poor, "t2") == []


async def test_an_idempotency_key_and_its_task_commit_together(
    backend: Backend, rows: Rows
) -> None:
    store = backend.store
    owner, poor = await account(backend, 10), await account(backend, 5, "poor")
    with pytest.raises(InsufficientCredits):
        await store.create_task(new_task(poor, "t0"), KEYED)
    assert await rows.key_rows() == [] and await store.get_task("t0") is None
    task = await store.create_task(new_task(owner, "t1"), KEYED)
    assert task.id == "t1" and await rows.key_rows() == [("k", "t1")]
    repeat = await store.create_task(new_task(owner, "t2"), KEYED)
    assert repeat.id == "t1" and await store.get_task("t2") is None
    assert (await store.get_account(owner)).credits_milli == 3000  # type: ignore[union-attr]
    other = IdempotencyKey("k", request_hash({"model": "m", "input": {"x": 1}}), DAY_MS)
    with pytest.raises(ValidationFailed, match="another request"):
        await store.create_task(new_task(owner, "t3"), other)
    assert await store.keyed_task(owner, KEYED) == task
    with pytest.raises(ValidationFailed):
        await store.keyed_task(owner, other)
    assert await store.keyed_task(poor, KEYED) is None  # keys are the account's own


async def test_one_key_sent_at_once_makes_one_task_and_one_debit(backend: Backend) -> None:
    owner = await account(backend)
    made = await asyncio.gather(
        *(backend.store.create_task(new_task(owner, f"t{i}"), KEYED) for i in range(5))
    )
    assert len({task.id for task in made}) == 1
    assert (await backend.store.get_account(owner)).credits_milli == 93_000  # type: ignore[union-attr]
    assert (await backend.store.keyed_task(owner, KEYED)).id == made[0].id  # type: ignore[union-attr]


async def test_a_refused_keyed_create_leaves_its_key_free(backend: Backend, rows: Rows) -> None:
    rich, poor = await account(backend, name="rich"), await account(backend, 1, "poor")
    results = await asyncio.gather(
        backend.store.create_task(new_task(poor, "p1"), KEYED),
        backend.store.create_task(new_task(rich, "r1"), KEYED),
        return_exceptions=True,
    )
    assert isinstance(results[0], InsufficientCredits)
    assert await rows.key_rows() == [("k", "r1")]
    assert await backend.store.get_task("p1") is None
    # The refused account's key is still free: once it can pay, the key makes its task.
    assert await backend.store.keyed_task(poor, KEYED) is None
    await backend.store.grant_credits(poor, 10_000)
    made = await backend.store.create_task(new_task(poor, "p2"), KEYED)
    assert made.id == "p2" and (await backend.store.keyed_task(poor, KEYED)).id == "p2"  # type: ignore[union-attr]


async def test_keys_past_their_window_are_forgotten_and_taken_over(
    backend: Backend, rows: Rows
) -> None:
    owner = await account(backend)
    short = IdempotencyKey("short", "0" * 64, 1)
    await backend.store.create_task(new_task(owner, "t1"), short)
    await backend.store.create_task(new_task(owner, "t2"), KEYED)
    await asyncio.sleep(0.01)
    # Dead: unknown to a repeat, and the next request with the key takes it over.
    assert await backend.store.keyed_task(owner, short) is None
    again = await backend.store.create_task(new_task(owner, "t3"), short)
    assert again.id == "t3"
    await asyncio.sleep(0.01)
    assert await backend.store.forget_expired_keys() == 1
    assert await rows.key_rows() == [("k", "t2")]
    assert await backend.store.forget_expired_keys(now=2**62) == 1
    assert await rows.key_rows() == []


async def test_a_keys_caps_refuse_a_task_past_them(backend: Backend) -> None:
    owner = await account(backend)
    key = await backend.api_keys.add(
        NewKey(owner, "hash-capped", "ig_c", caps=SpendCaps(hourly_milli=10_000))
    )
    assert key is not None

    def capped(task_id: str, price: int = 4000):  # type: ignore[no-untyped-def]
        return new_task(owner, task_id, price, key_id=key.spend_key, caps=key.caps)

    await backend.store.create_task(capped("c1"))
    await backend.store.create_task(capped("c2"))
    with pytest.raises(SpendCapReached, match="hourly cap is 10 credits and it has spent 8"):
        await backend.store.create_task(capped("c3"))
    assert await backend.store.get_task("c3") is None
    assert (await backend.store.get_account(owner)).credits_milli == 92_000  # type: ignore[union-attr]
    await backend.store.create_task(capped("c4", price=2000))  # exactly up to the cap
    # Another key of the account spends on its own.
    await backend.store.create_task(new_task(owner, "plain"))
    assert (await backend.api_keys.spend(key)).hourly_milli == 10_000
