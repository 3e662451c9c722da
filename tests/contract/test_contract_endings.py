"""How a task ends, on every backend: ``finish`` (success only from a claimed task and once; a
failure refunded exactly once; the result files' rows and the callback row in the same step,
the callback rendered with the balance after any refund) and ``cancel`` (a task not yet running
ends now, refunded, fencing its worker; a generating one is asked to stop).

Folded here: test_store.py's and test_pg_store.py's finish cases, test_pg_task_list.py's cancel
cases."""

from __future__ import annotations

import asyncio

import pytest

from imagegate.backend import Backend
from imagegate.errors import NotFound, ValidationFailed
from imagegate.tasks.cancel import CANCELED, cancel_task
from imagegate.tasks.files import StoredFile
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Beat, Finish
from imagegate.wire.surfaces import Surface

from contract_kit import HOOK, account, new_task

SUCCESS = Finish(TaskState.SUCCESS, result_json='{"files":[]}', engine="mock")
FAILED = Finish(TaskState.FAIL, fail_code="501", fail_msg="engine said no", engine="mock")


async def callback_of(backend: Backend, task_id: str) -> tuple[object, ...]:
    """What the task's callback row keeps for the sender to render: the task's surface, the
    balance right after the task (after its refund), and no body of its own."""
    row = await backend.outbox.get(task_id)
    assert row is not None
    return (row.surface, row.balance_milli, row.body)


async def task_reasons(backend: Backend, owner: str, task_id: str) -> list[str]:
    return [r["reason"] for r in await backend.store.ledger(owner) if r["task_id"] == task_id]


async def test_a_success_ends_once_under_its_lease_with_one_callback(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1", callback=HOOK))
    claim = await store.claim("w1", 30_000)
    assert claim is not None
    assert await store.start_generating("t1", claim.lease_token, "classic")
    assert await store.finish("t1", claim.lease_token + 1, SUCCESS) is None  # stale
    done = await store.finish("t1", claim.lease_token, SUCCESS)
    assert done is not None and done.state is TaskState.SUCCESS and done.engine == "mock"
    assert done.progress == 100 and done.complete_time is not None
    assert done.cost_time == done.complete_time - done.create_time
    assert done.result_json == '{"files":[]}'
    # Finished once: a second finish, even with the right token, changes nothing.
    assert await store.finish("t1", claim.lease_token, SUCCESS) is None
    assert not await store.heartbeat("t1", claim.lease_token, 30_000)
    # Charged once, no refund, one callback row, due now.
    assert await task_reasons(backend, owner, "t1") == ["debit"]
    assert await callback_of(backend, "t1") == (Surface.JOBS, 93_000, None)
    row = await backend.outbox.get("t1")
    assert row is not None and (row.url, row.state, row.attempts) == (HOOK, "pending", 0)
    assert row.next_attempt_at == done.complete_time and row.account_id == owner


async def test_success_only_from_a_claimed_task(backend: Backend) -> None:
    # From queuing too: an engine that answered before the task was shown generating
    # (worker/generating.py). Never from waiting.
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1"))
    await store.create_task(new_task(owner, "t2"))
    assert await store.finish("t2", 0, SUCCESS) is None  # waiting: nobody holds it
    claim = await store.claim("w1", 60_000)
    assert claim is not None and claim.state is TaskState.QUEUING
    done = await store.finish(claim.id, claim.lease_token, SUCCESS)
    assert done is not None and done.engine == "mock"
    other = await store.claim("w1", 60_000)
    assert other is not None
    assert await store.start_generating(other.id, other.lease_token, "classic")
    kept = Finish(TaskState.SUCCESS, result_json="{}")  # no engine named: the one running
    finished = await store.finish(other.id, other.lease_token, kept)
    assert finished is not None and finished.engine == "classic"
    assert await backend.outbox.get(other.id) is None  # no callback URL, no row


async def test_a_failure_is_refunded_exactly_once_before_its_callback(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend, credits=10)
    await store.create_task(new_task(owner, "t1", callback=HOOK))
    claim = await store.claim("w1", 60_000)
    assert claim is not None
    done = await store.finish("t1", claim.lease_token, FAILED)
    assert done is not None and done.fail_code == "501" and done.fail_msg == "engine said no"
    assert done.state is TaskState.FAIL and done.progress == 5  # where it stopped
    assert await store.finish("t1", claim.lease_token, FAILED) is None
    assert (await store.get_account(owner)).credits_milli == 10_000  # type: ignore[union-attr]
    ledger = [(r["reason"], r["delta_milli"]) for r in await store.ledger(owner)
              if r["task_id"] == "t1"]
    assert ledger == [("debit", -7000), ("refund", 7000)]
    assert await callback_of(backend, "t1") == (Surface.JOBS, 10_000, None)


@pytest.mark.parametrize("callback", [HOOK, None], ids=["callback", "no-callback"])
async def test_a_success_settling_a_hold_gives_the_rest_back_once(
    backend: Backend, callback: str | None
) -> None:
    # A pass-through task priced by its upstream: 7 credits held, 2.5 of them spent. With a
    # callback URL and without (PostgreSQL finishes those two in different statements).
    store = backend.store
    owner = await account(backend, credits=10)
    await store.create_task(new_task(owner, "t1", callback=callback))
    claim = await store.claim("w1", 60_000)
    assert claim is not None
    settled = Finish(TaskState.SUCCESS, result_json='{"files":[]}', engine="kie",
                     refund_milli=4500)
    done = await store.finish("t1", claim.lease_token, settled)
    assert done is not None and done.state is TaskState.SUCCESS
    assert done.price_milli == 2500
    assert await store.finish("t1", claim.lease_token, settled) is None
    assert await store.finish("t1", claim.lease_token, FAILED) is None
    assert (await store.get_account(owner)).credits_milli == 7_500  # type: ignore[union-attr]
    assert (await store.get_task("t1")).price_milli == 2500  # type: ignore[union-attr]
    assert await task_reasons(backend, owner, "t1") == ["debit", "refund"]
    ledger = [r["delta_milli"] for r in await store.ledger(owner) if r["task_id"] == "t1"]
    assert ledger == [-7000, 4500]
    if callback:
        assert await callback_of(backend, "t1") == (Surface.JOBS, 7_500, None)
    else:
        assert await backend.outbox.get("t1") is None


async def test_a_finish_writes_its_files_and_only_under_its_lease(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "ok"))
    await asyncio.sleep(0.002)  # claimed oldest first: distinct create times
    await store.create_task(new_task(owner, "bad", callback=HOOK))
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
    assert stale is None and await backend.files.get(files[0].key) is None
    assert await store.finish("ok", first.lease_token, success) is not None
    assert [await backend.files.get(f.key) for f in files] == list(files)
    second = await store.claim("w", 30_000)
    assert second is not None and second.id == "bad"
    assert await store.finish("bad", second.lease_token, FAILED) is not None
    # One debit left standing (the success's), the failure's refunded before its callback.
    assert await backend.outbox.get("ok") is None
    assert await callback_of(backend, "bad") == (Surface.JOBS, 93_000, None)


async def test_cancel_ends_a_waiting_task_refunded_with_its_callback_and_refuses_twice(
    backend: Backend,
) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1", callback=HOOK))
    done = await cancel_task(store, owner, "t1")
    assert done.ended and done.task.state is TaskState.FAIL and done.task.fail_code == CANCELED
    assert done.task.complete_time is not None
    assert (await store.get_account(owner)).credits_milli == 100_000  # type: ignore[union-attr]
    assert await task_reasons(backend, owner, "t1") == ["debit", "refund"]
    assert await callback_of(backend, "t1") == (Surface.JOBS, 100_000, None)
    with pytest.raises(ValidationFailed, match="already finished"):
        await cancel_task(store, owner, "t1")
    assert await store.cancel(owner, "t1") is None
    with pytest.raises(NotFound):
        await cancel_task(store, await account(backend, name="b"), "t1")
    with pytest.raises(NotFound):
        await cancel_task(store, owner, "no-such-task")


async def test_cancel_of_a_claimed_task_fences_its_worker(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1"))
    claimed = await store.claim("w", 30_000)
    assert claimed is not None and claimed.state is TaskState.QUEUING
    done = await cancel_task(store, owner, "t1")
    assert done.ended and done.task.lease_token == claimed.lease_token + 1
    # The worker's next write finds its lease gone: it leaves the task alone.
    assert not await store.start_generating("t1", claimed.lease_token, "mock")
    assert not await store.heartbeat("t1", claimed.lease_token, 30_000)
    assert await store.finish("t1", claimed.lease_token, FAILED) is None
    assert (await store.get_task("t1")).fail_code == CANCELED  # type: ignore[union-attr]
    assert await task_reasons(backend, owner, "t1") == ["debit", "refund"]


async def test_cancel_of_a_generating_task_is_seen_by_the_heartbeat(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    await store.create_task(new_task(owner, "t1", callback=HOOK))
    claimed = await store.claim("w", 30_000)
    assert claimed is not None
    assert await store.start_generating("t1", claimed.lease_token, "mock")
    assert await store.heartbeat("t1", claimed.lease_token, 30_000) is Beat.HELD
    done = await cancel_task(store, owner, "t1")
    assert not done.ended and done.task.state is TaskState.GENERATING
    assert await store.heartbeat("t1", claimed.lease_token, 30_000) is Beat.CANCEL
    # Nothing refunded nor queued until its worker ends it.
    assert await task_reasons(backend, owner, "t1") == ["debit"]
    assert await backend.outbox.get("t1") is None
    cancelled = Finish(TaskState.FAIL, fail_code=CANCELED, fail_msg="stopped")
    ended = await store.finish("t1", claimed.lease_token, cancelled)
    assert ended is not None and ended.fail_code == CANCELED
    assert await task_reasons(backend, owner, "t1") == ["debit", "refund"]
    assert await callback_of(backend, "t1") == (Surface.JOBS, 100_000, None)


async def test_each_surface_round_trips_through_the_task_and_its_callback_row(
    backend: Backend,
) -> None:
    # Moved from test_callback_rendering.py (SQLite and PostgreSQL), now on memory too.
    store = backend.store
    owner = await account(backend)
    for surface in Surface:
        task_id = f"t-{surface.value}"
        made = await store.create_task(new_task(owner, task_id, 3000, callback=HOOK,
                                                surface=surface))
        assert made.surface is surface
        stored = await store.get_task(task_id)
        assert stored is not None and stored.surface is surface
        claimed = await store.claim("w", 30_000)
        assert claimed is not None and claimed.id == task_id
        assert await store.finish(task_id, claimed.lease_token, SUCCESS) is not None
        row = await backend.outbox.get(task_id)
        assert row is not None
        assert (row.surface, row.body) == (surface, None)
    # Each row keeps the balance right after its own task: 3 credits less each time.
    balances = []
    for surface in Surface:
        row = await backend.outbox.get(f"t-{surface.value}")
        assert row is not None
        balances.append(row.balance_milli)
    assert balances == [100_000 - 3000 * n for n in range(1, len(Surface) + 1)]
