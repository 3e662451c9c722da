"""The registries beside the tasks, on every backend: the files imagegate serves
(``FileRegistry``), the worker processes alive (``Workers``), and the operator's reads of the
dashboard (``Overview``) and of the live queue (``QueueStats``)."""

from __future__ import annotations

import asyncio

from imagegate.backend import Backend
from imagegate.clock import now_ms
from imagegate.tasks.cancel import cancel_task
from imagegate.tasks.files import StoredFile
from imagegate.tasks.ids import new_task_id
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Finish
from imagegate.tasks.workers_registry import WorkerRow, live_workers

from contract_kit import BANANA, HOOK, REFRAME, account, new_task


def stored(key: str, expires_at: int, size: int = 3) -> StoredFile:
    return StoredFile(key=key, account_id="acc", kind="upload", task_id=None, file_name="f.txt",
                      mime_type="text/plain", size=size, created_at=1, expires_at=expires_at)


async def test_files_are_recorded_replaced_expired_and_removed(backend: Backend) -> None:
    files = backend.files
    await files.add(stored("uploads/old", 10))
    await files.add(stored("uploads/older", 5))
    await files.add(stored("uploads/fresh", 2**50))
    assert await files.get("uploads/old") == stored("uploads/old", 10)
    assert await files.get("unknown") is None
    # The same key again (a retried task): its size, type and expiry replaced.
    again = StoredFile(key="uploads/old", account_id="other", kind="result", task_id="t",
                       file_name="g.png", mime_type="image/png", size=9, created_at=2,
                       expires_at=20)
    await files.add(again)
    assert await files.get("uploads/old") == StoredFile(
        key="uploads/old", account_id="acc", kind="upload", task_id=None, file_name="f.txt",
        mime_type="image/png", size=9, created_at=1, expires_at=20,
    )
    assert [f.key for f in await files.expired()] == ["uploads/older", "uploads/old"]
    assert [f.key for f in await files.expired(limit=1)] == ["uploads/older"]
    assert [f.key for f in await files.expired(now=5)] == ["uploads/older"]
    await files.remove("uploads/older")
    await files.remove("unknown")
    assert await files.get("uploads/older") is None
    assert [f.key for f in await files.expired()] == ["uploads/old"]


async def test_workers_beat_and_go(backend: Backend) -> None:
    workers = backend.workers
    now = await workers.now_ms()
    assert abs(now - now_ms()) < 60_000
    first = WorkerRow("w1", "host", 11, None, 2, started_at=1, seen_at=0)
    second = WorkerRow("w2", "host", 12, ("a/b",), 1, started_at=2, seen_at=0)
    idle = WorkerRow("w3", "host", 13, (), 1, started_at=3, seen_at=0)
    for row in (second, first, idle):
        await workers.beat(row)
    seen = await workers.seen_since(now - 1000)
    assert [r.id for r in seen] == ["w1", "w2", "w3"]  # oldest first
    assert seen[0].seen_at >= now and seen[1].models == ("a/b",) and seen[0].models is None
    # A later beat changes only when it was seen.
    await asyncio.sleep(0.002)
    await workers.beat(WorkerRow("w1", "elsewhere", 99, ("x",), 8, started_at=7, seen_at=0))
    [again] = [r for r in await workers.seen_since(now - 1000) if r.id == "w1"]
    assert (again.host, again.pid, again.models, again.started_at) == ("host", 11, None, 1)
    assert again.seen_at >= seen[0].seen_at
    assert [r.id for r in await live_workers(workers, 1.0)] == ["w1", "w2"]  # w3 serves none
    await workers.remove("w2")
    await workers.remove("unknown")
    assert [r.id for r in await workers.seen_since(0)] == ["w1", "w3"]
    assert await workers.seen_since(await workers.now_ms() + 60_000) == []


async def test_the_overview_counts_models_failures_and_failing_callbacks(
    backend: Backend,
) -> None:
    store, outbox, overview = backend.store, backend.outbox, backend.overview
    owner = await account(backend)
    since = now_ms() - 1
    ids = [new_task_id() for _ in range(4)]  # time-ordered, as the API makes them
    await store.create_task(new_task(owner, ids[0], 1000, model=BANANA, callback=HOOK))
    await store.create_task(new_task(owner, ids[1], 1000, model=BANANA, callback=HOOK))
    await store.create_task(new_task(owner, ids[2], 1000, model=REFRAME))
    await store.create_task(new_task(owner, ids[3], 1000, model=REFRAME))
    await cancel_task(store, owner, ids[0])
    await cancel_task(store, owner, ids[1])
    claim = await store.claim("w", 30_000, models=[REFRAME])
    assert claim is not None
    ok = Finish(TaskState.SUCCESS, result_json="{}", engine="mock")
    done = await store.finish(claim.id, claim.lease_token, ok)
    assert done is not None
    window = {w.model: w for w in await overview.window(since)}
    assert (window[BANANA].created, window[BANANA].succeeded, window[BANANA].failed) == (2, 0, 2)
    assert window[BANANA].avg_cost_ms is None
    assert (window[REFRAME].created, window[REFRAME].succeeded) == (2, 1)
    assert window[REFRAME].avg_cost_ms == done.cost_time
    assert await overview.window(now_ms() + 60_000) == []
    failures = await overview.failures(since, 10)
    assert [f.task_id for f in failures] == [ids[1], ids[0]]  # newest first
    assert failures[0].fail_code == "CANCELED" and failures[0].model == BANANA
    assert [f.task_id for f in await overview.failures(since, 1)] == [ids[1]]
    assert await overview.callback_failures(10) == []
    first, second = await outbox.claim_due(10, 60_000)
    assert await outbox.mark_failed(first.id, None, "refused", None)  # dead
    retry_at = now_ms() + 60_000
    assert await outbox.mark_failed(second.id, 500, "HTTP 500", retry_at)  # retrying
    failing = await overview.callback_failures(10)
    assert [(c.task_id, c.state, c.attempts, c.last_status) for c in failing] == [
        (ids[0], "dead", 1, None), (ids[1], "pending", 1, 500),
    ]
    assert failing[1].next_attempt_at == retry_at and failing[1].url == HOOK
    assert len(await overview.callback_failures(1)) == 1


async def test_the_queue_snapshot_counts_live_tasks_only(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend)
    empty = await backend.queue_stats.snapshot()
    assert empty.counts == {} and empty.waiting == 0 and abs(empty.now_ms - now_ms()) < 60_000
    await store.create_task(new_task(owner, "r1", 0, model=REFRAME))
    await asyncio.sleep(0.002)
    for task_id in ("b1", "b2", "b3", "gone"):
        await store.create_task(new_task(owner, task_id, 0, model=BANANA))
    await cancel_task(store, owner, "gone")
    claim = await store.claim("w", 30_000)
    assert claim is not None and claim.id == "r1"
    await store.start_generating("r1", claim.lease_token, "mock")
    b2 = await store.claim("w", 30_000, models=[BANANA])
    assert b2 is not None
    snapshot = await backend.queue_stats.snapshot()
    assert snapshot.counts == {("waiting", BANANA): 2, ("queuing", BANANA): 1,
                               ("generating", REFRAME): 1}
    oldest = min([(await store.get_task(t)).create_time for t in ("b1", "b2", "b3")  # type: ignore[union-attr]
                  if t != b2.id])
    assert snapshot.oldest_waiting_ms == {BANANA: oldest}
    assert snapshot.waiting == 2 and snapshot.waiting_by_model() == {BANANA: 2}
