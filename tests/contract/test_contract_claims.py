"""TaskStore's claims and leases on every backend: a task claimed once, expired leases first,
only the models a worker serves, a lease token that fences a worker presumed dead, progress
that only moves forward, a release, and the counts by state.

Folded here: test_store.py's and test_pg_store.py's claim, lease and progress cases."""

from __future__ import annotations

import asyncio

from imagegate.backend import Backend
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Beat, Finish

from contract_kit import BANANA, REFRAME, account, new_task


async def test_claims_never_share_a_task(backend: Backend) -> None:
    owner = await account(backend, credits=1000)
    for i in range(20):
        await backend.store.create_task(new_task(owner, f"t{i:02d}"))
    claims = await asyncio.gather(*[backend.store.claim(f"w{i}", 60_000) for i in range(30)])
    claimed = [c.id for c in claims if c is not None]
    assert len(claimed) == 20 and len(set(claimed)) == 20
    assert all(c.state is TaskState.QUEUING for c in claims if c is not None)
    assert all(c.progress == 5 and c.attempts == 1 for c in claims if c is not None)
    assert await backend.store.claim("late", 60_000) is None


async def test_concurrent_workers_never_claim_a_task_twice(backend: Backend) -> None:
    owner = await account(backend, credits=1000)
    for index in range(60):
        await backend.store.create_task(new_task(owner, f"t{index:02d}", price=1000))

    async def worker(name: str) -> list[str]:
        taken = []
        while (task := await backend.store.claim(name, 30_000)) is not None:
            taken.append(task.id)
        return taken

    claimed = await asyncio.gather(*(worker(f"w{i}") for i in range(8)))
    every = [task_id for ids in claimed for task_id in ids]
    assert sorted(every) == [f"t{index:02d}" for index in range(60)]
    assert len(set(every)) == 60
    assert await backend.store.count_by_state() == {"queuing": 60}


async def test_oldest_first_and_only_the_models_a_worker_serves(backend: Backend) -> None:
    owner = await account(backend)
    for task_id, model in (("old", REFRAME), ("banana", BANANA), ("new", REFRAME)):
        await backend.store.create_task(new_task(owner, task_id, price=0, model=model))
        await asyncio.sleep(0.002)  # distinct create times, as tasks made apart have
    only_banana = await backend.store.claim("gpu", 30_000, models=[BANANA])
    assert only_banana is not None and only_banana.id == "banana"
    assert await backend.store.claim("gpu", 30_000, models=[BANANA]) is None
    assert await backend.store.claim("none", 30_000, models=[]) is None  # serves nothing
    first = await backend.store.claim("cpu", 30_000)
    assert first is not None and first.id == "old"


async def test_a_claim_passes_over_the_models_it_excludes_and_keeps_their_turn(
    backend: Backend,
) -> None:
    """A worker whose CPU engine is busy (worker/lanes.py) leaves that engine's tasks waiting,
    first in line for the next claim that takes them: the queue's order is not changed."""
    owner = await account(backend)
    other = await account(backend, name="other")
    for task_id, who, model in (
        ("r1", owner, REFRAME), ("r2", owner, REFRAME), ("b1", owner, BANANA),
        ("o1", other, BANANA),
    ):
        await backend.store.create_task(new_task(who, task_id, price=0, model=model))
        await asyncio.sleep(0.002)  # distinct create times, as tasks made apart have
    busy = [REFRAME]
    # Fair between accounts among the tasks it may take: the owner's two reframes spent two
    # slots of its clock, so the other account's first task comes before the owner's third.
    taken = [await backend.store.claim("w", 30_000, exclude=busy) for _ in range(3)]
    assert [t.id if t else None for t in taken] == ["o1", "b1", None]
    assert await backend.store.claim("w", 30_000, models=[REFRAME, BANANA], exclude=busy) is None
    # The excluded tasks kept their places: once the engine is free they come in order.
    first, second = [await backend.store.claim("w", 30_000) for _ in range(2)]
    assert first is not None and first.id == "r1"
    assert second is not None and second.id == "r2"


async def test_an_expired_lease_is_claimed_again_and_fences_the_old_owner(
    backend: Backend,
) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1"))
    slow = await store.claim("slow", 1)  # a 1 ms lease: expired at once
    assert slow is not None
    await asyncio.sleep(0.01)
    fast = await store.claim("fast", 30_000)
    assert fast is not None and fast.id == "t1"
    assert fast.lease_token == slow.lease_token + 1 and fast.attempts == 2
    # The first owner comes back late: every write of it is refused.
    assert not await store.heartbeat("t1", slow.lease_token, 30_000)
    assert not await store.start_generating("t1", slow.lease_token, "mock")
    assert not await store.release("t1", slow.lease_token)
    late = Finish(TaskState.SUCCESS, result_json='{"files":[]}', engine="mock")
    assert await store.finish("t1", slow.lease_token, late) is None
    assert await store.start_generating("t1", fast.lease_token, "mock")
    assert not await store.set_engine("t1", slow.lease_token, "classic")
    assert await store.set_engine("t1", fast.lease_token, "classic")
    task = await store.get_task("t1")
    assert task is not None and task.engine == "classic" and task.state is TaskState.GENERATING


async def test_an_expired_generating_task_is_claimed_before_the_queue(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "first"))
    running = await store.claim("w1", 1)
    assert running is not None and await store.start_generating("first", running.lease_token, None)
    await store.create_task(new_task(owner, "second"))
    await asyncio.sleep(0.01)
    again = await store.claim("w2", 30_000)
    assert again is not None and again.id == "first" and again.state is TaskState.QUEUING


async def test_start_and_engine_need_the_right_state(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1"))
    assert not await store.start_generating("t1", 0, "mock")  # waiting: nobody holds it
    claim = await store.claim("w", 30_000)
    assert claim is not None
    assert not await store.set_engine("t1", claim.lease_token, "mock")  # not generating yet
    assert await store.start_generating("t1", claim.lease_token, None)
    assert not await store.start_generating("t1", claim.lease_token, "mock")  # once
    task = await store.get_task("t1")
    assert task is not None and task.progress == 10 and task.engine is None


async def test_progress_only_moves_forward_and_release_gives_the_task_back(
    backend: Backend,
) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1", price=0))
    task = await store.claim("w", 30_000)
    assert task is not None
    assert await store.start_generating("t1", task.lease_token, "mock")
    assert await store.heartbeat("t1", task.lease_token, 30_000, progress=60) is Beat.HELD
    assert await store.heartbeat("t1", task.lease_token, 30_000, progress=40)
    assert await store.heartbeat("t1", task.lease_token, 30_000)
    now = await store.get_task("t1")
    assert now is not None and now.state is TaskState.GENERATING and now.progress == 60
    assert await store.release("t1", task.lease_token)
    released = await store.get_task("t1")
    assert released is not None and released.state is TaskState.WAITING
    assert released.progress == 0
    assert not await store.release("t1", task.lease_token)  # waiting: nothing to hand back
    again = await store.claim("w2", 30_000)
    assert again is not None and again.id == "t1" and again.state is TaskState.QUEUING
    assert again.lease_token == task.lease_token + 1


async def test_counts_by_state(backend: Backend) -> None:
    store = backend.store
    assert await store.count_by_state() == {}
    owner = await account(backend)
    for task_id in ("a", "b", "c"):
        await store.create_task(new_task(owner, task_id, price=0))
    await store.claim("w", 30_000)
    assert await store.count_by_state() == {"waiting": 2, "queuing": 1}
    await store.ping()  # answers
