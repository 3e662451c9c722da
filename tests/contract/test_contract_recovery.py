"""``TaskStore.release_leases`` on every backend: a restarted worker hands back at once the
tasks its previous life left leased (issue 20, point 9), fencing that life out, and touches
nothing another worker holds."""

from __future__ import annotations

import asyncio

from imagegate.backend import Backend
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Beat, Finish

from contract_kit import account, new_task

LONG = 600_000  # leases far from expiry: only the release can free these tasks


async def test_a_restart_takes_back_its_own_leases_only(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend, credits=1000)
    for task_id in ("a", "b", "c", "d", "e"):
        await store.create_task(new_task(owner, task_id, price=1000))
        await asyncio.sleep(0.002)
    mine = [await store.claim("host-0", LONG), await store.claim("host-0", LONG)]
    theirs = await store.claim("host-1", LONG)
    done = await store.claim("host-0", LONG)
    assert all(t is not None for t in (*mine, theirs, done))
    assert [t.id for t in mine] == ["a", "b"] and theirs.id == "c"  # type: ignore[union-attr]
    assert await store.start_generating("a", mine[0].lease_token, "mock")  # type: ignore[union-attr]
    assert done is not None
    ok = Finish(TaskState.SUCCESS, result_json='{"files":[]}', engine="mock")
    assert await store.finish("d", done.lease_token, ok) is not None

    released = await Lifecycle(store).recover("host-0")

    assert sorted(released) == ["a", "b"]  # generating and queuing; not the finished one
    for old in mine:
        assert old is not None
        task = await store.get_task(old.id)
        assert task is not None and task.state is TaskState.WAITING and task.progress == 0
        assert task.lease_token == old.lease_token + 1
        # The previous life's writes are refused: its token is stale.
        assert await store.heartbeat(old.id, old.lease_token, LONG) is Beat.LOST
        assert await store.finish(old.id, old.lease_token, ok) is None
    held = await store.get_task("c")
    assert held is not None and held.state is TaskState.QUEUING
    assert held.lease_token == theirs.lease_token  # type: ignore[union-attr]
    assert await store.heartbeat("c", theirs.lease_token, LONG) is Beat.HELD  # type: ignore[union-attr]
    assert (await store.get_task("d")).state is TaskState.SUCCESS  # type: ignore[union-attr]
    # Nothing left to take back, and the released tasks are claimed again at once, in order.
    assert await store.release_leases("host-0") == []
    again = [await store.claim("host-0", LONG) for _ in range(3)]
    assert [t.id for t in again if t is not None] == ["a", "b", "e"]
    assert [t.attempts for t in again[:2] if t is not None] == [2, 2]


async def test_a_release_races_claims_and_beats_without_a_double_run(backend: Backend) -> None:
    """While the restarted worker releases, live workers claim and beat: every task ends up
    held by exactly one owner, and each released one can be claimed exactly once."""
    store = backend.store
    owner = await account(backend, credits=1000)
    for index in range(12):
        await store.create_task(new_task(owner, f"t{index:02d}", price=1000))
    dead = [await store.claim("dead", LONG) for _ in range(6)]
    live = [await store.claim("live", LONG) for _ in range(3)]

    async def claim_all(name: str) -> list[str]:
        taken = []
        for _ in range(12):
            task = await store.claim(name, LONG)
            if task is not None:
                taken.append(task.id)
            await asyncio.sleep(0)
        return taken

    beats = [store.heartbeat(t.id, t.lease_token, LONG) for t in live if t is not None]
    outcome = await asyncio.gather(
        store.release_leases("dead"), claim_all("x"), claim_all("y"), *beats
    )
    released, by_x, by_y = outcome[0], outcome[1], outcome[2]
    assert sorted(released) == sorted(t.id for t in dead if t is not None)
    assert all(beat is Beat.HELD for beat in outcome[3:])
    # The 3 never claimed and the 6 released are each taken once, by x or y (or later).
    later = await claim_all("z")
    taken = by_x + by_y + later
    assert len(taken) == len(set(taken)) == 9
    assert sorted(taken) == sorted(
        {f"t{i:02d}" for i in range(12)} - {t.id for t in live if t is not None}
    )
    counts = await store.count_by_state()
    assert counts == {"queuing": 12}
