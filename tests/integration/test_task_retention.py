"""Task-record retention on a real SQLite file and a real PostgreSQL database (one per test,
dropped after; skipped where none answers): the janitor deletes finished tasks past their
retention with their callback, delivery attempts and Idempotency-Key, keeps live and fresh
tasks and a callback still being retried, never touches the credit ledger, and counts what it
deleted in ``imagegate_janitor_deleted_total{kind="task"}``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from imagegate import metrics
from imagegate.accounts.model import SpendCaps
from imagegate.accounts.usage import UsageRow, usage
from imagegate.backend import Backend, open_postgres, open_sqlite
from imagegate.db.postgres.database import PostgresDatabase, numbered
from imagegate.db.sqlite.api_keys import NewKey
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.settings import load_settings
from imagegate.storage.blobstore import LocalBlobStore
from imagegate.tasks.cancel import cancel_task
from imagegate.tasks.model import IdempotencyKey, NewTask
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Finish
from imagegate.worker.janitor import Janitor

MODEL = "google/nano-banana"
DAY_MS = 86_400_000
RETENTION_MS = 30 * DAY_MS
HOOK = "http://127.0.0.1:9/hook"  # never called: the tests record attempts themselves


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        opened = open_sqlite(f"sqlite:///{tmp_path / 'imagegate.db'}")
    else:
        opened = await open_postgres(request.getfixturevalue("postgres_url"), pool_size=4)
    try:
        yield opened
    finally:
        await opened.close()


async def rows(backend: Backend, sql: str, *args: Any) -> list[Any]:
    """A query on either database, written with SQLite's ``?`` placeholders."""
    if isinstance(backend.db, PostgresDatabase):
        return await backend.db.fetch(numbered(sql), *args)
    assert isinstance(backend.db, SqliteDatabase)
    return backend.db.conn.execute(sql, args).fetchall()


async def write(backend: Backend, sql: str, *args: Any) -> None:
    if isinstance(backend.db, PostgresDatabase):
        await backend.db.execute(numbered(sql), *args)
    else:
        assert isinstance(backend.db, SqliteDatabase)
        await backend.db.write(lambda conn: conn.execute(sql, args))


async def create(backend: Backend, owner: str, task_id: str, *, keyed: bool = False) -> None:
    key = IdempotencyKey(f"key-{task_id}", "0" * 64, DAY_MS) if keyed else None
    await backend.store.create_task(NewTask(
        id=task_id, account_id=owner, model=MODEL, param=json.dumps({"model": MODEL}),
        input={}, callback_url=HOOK, price_milli=4000,
    ), key)


async def claim(backend: Backend, task_id: str) -> int:
    claimed = await backend.store.claim("w", 60_000)
    assert claimed is not None and claimed.id == task_id
    return claimed.lease_token


def janitor(backend: Backend, tmp_path: Path, retention_ms: int = RETENTION_MS) -> Janitor:
    return Janitor(
        backend.files, LocalBlobStore(tmp_path / "blobs"), 60,
        forget_keys=backend.store.forget_expired_keys,
        tasks=backend.retention, task_retention_ms=retention_ms,
    )


def deleted_count() -> float:
    value = metrics.REGISTRY.get_sample_value(
        "imagegate_janitor_deleted_total", {"kind": "task"}
    )
    return value or 0.0


async def all_usage(backend: Backend, owner: str) -> list[UsageRow]:
    """The account's usage over every day there is (whole UTC days)."""
    return await usage(backend.store, owner, 0, 10 * 365 * 86_400_000 * 100)


async def age(backend: Backend, task_ids: list[str], days: int) -> None:
    for task_id in task_ids:
        await write(backend, "UPDATE tasks SET create_time = create_time - ? WHERE id = ?",
                    days * DAY_MS, task_id)


async def test_old_finished_tasks_go_with_their_rows_and_the_ledger_stays(
    backend: Backend, tmp_path: Path
) -> None:
    store, outbox = backend.store, backend.outbox
    owner = (await store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_a", credits_milli=100_000
    )).id

    # Succeeded, its callback delivered at the first attempt, created with an Idempotency-Key.
    await create(backend, owner, "old-success", keyed=True)
    token = await claim(backend, "old-success")
    assert await store.start_generating("old-success", token, "mock")
    finished = await store.finish(
        "old-success", token, Finish(TaskState.SUCCESS, result_json='{"resultUrls": []}')
    )
    assert finished is not None and finished.state is TaskState.SUCCESS
    (due,) = await outbox.claim_due(10, 60_000)
    assert await outbox.mark_delivered(due.id, 200)
    # Cancelled (failed and refunded), its callback given up after one attempt.
    await create(backend, owner, "old-fail", keyed=True)
    await cancel_task(store, owner, "old-fail")
    (due,) = await outbox.claim_due(10, 60_000)
    assert await outbox.mark_failed(due.id, 500, "receiver down", None)
    # Failed too, but its callback is still being retried.
    await create(backend, owner, "old-retrying")
    await cancel_task(store, owner, "old-retrying")
    # Live tasks: one generating, one waiting; and a finished one that is recent.
    await create(backend, owner, "old-generating")
    assert await store.start_generating(
        "old-generating", await claim(backend, "old-generating"), "mock"
    )
    await create(backend, owner, "fresh-fail")
    await cancel_task(store, owner, "fresh-fail")
    await create(backend, owner, "old-waiting")

    old = ["old-success", "old-fail", "old-retrying", "old-generating", "old-waiting"]
    await age(backend, old, 31)
    # A key outlives its task here (a window longer than the retention): it goes with it.
    assert len(await rows(backend, "SELECT key FROM idempotency_keys")) == 2
    ledger_before = await store.ledger(owner)
    usage_before = await all_usage(backend, owner)
    assert [(u.tasks, u.succeeded, u.failed, u.running) for u in usage_before] == [
        (5, 1, 2, 2), (1, 0, 1, 0),  # the old day, and today
    ]
    counted = deleted_count()

    assert await janitor(backend, tmp_path).forget_tasks() == 2

    assert deleted_count() - counted == 2
    for gone in ("old-success", "old-fail"):
        assert await store.get_task(gone) is None
        assert await outbox.get(gone) is None
        assert await outbox.attempts(gone) == []
    assert await rows(backend, "SELECT key FROM idempotency_keys") == []
    for kept in ("old-retrying", "old-generating", "old-waiting", "fresh-fail"):
        assert await store.get_task(kept) is not None, kept
    retrying = await outbox.get("old-retrying")
    assert retrying is not None and retrying.state == "pending"
    assert await outbox.get("fresh-fail") is not None
    # The ledger is the accounts' history: every charge and refund stays, naming its task.
    ledger = await store.ledger(owner)
    assert ledger == ledger_before
    # And the usage of the days it deleted reads the same (usage_days took them over).
    assert await all_usage(backend, owner) == usage_before
    assert {(e["task_id"], e["reason"]) for e in ledger} >= {
        ("old-success", "debit"), ("old-fail", "debit"), ("old-fail", "refund"),
    }
    # Nothing left to do; and once the retrying callback is given up, its task goes too.
    assert await janitor(backend, tmp_path).forget_tasks() == 0
    due = next(r for r in await outbox.claim_due(10, 60_000) if r.task_id == "old-retrying")
    assert await outbox.mark_failed(due.id, None, "connection refused", None)
    assert await janitor(backend, tmp_path).forget_tasks() == 1
    assert await store.get_task("old-retrying") is None
    assert deleted_count() - counted == 3
    assert await all_usage(backend, owner) == usage_before  # added once, not twice


async def test_a_retention_of_zero_keeps_every_record(backend: Backend, tmp_path: Path) -> None:
    owner = (await backend.store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_a", credits_milli=100_000
    )).id
    await create(backend, owner, "ancient")
    await cancel_task(backend.store, owner, "ancient")
    await write(backend, "UPDATE callbacks SET state = 'delivered'")
    await age(backend, ["ancient"], 3650)
    assert await janitor(backend, tmp_path, retention_ms=0).forget_tasks() == 0
    assert await backend.store.get_task("ancient") is not None
    assert await janitor(backend, tmp_path).forget_tasks() == 1


async def test_a_backlog_goes_in_batches(backend: Backend, tmp_path: Path) -> None:
    owners = [
        (await backend.store.create_account(
            name=name, key_hash=f"hash-{name}", key_prefix="ig_x", credits_milli=10**9
        )).id
        for name in ("a", "b")
    ]
    for index in range(601):  # past one batch of 500, across two accounts
        await backend.store.create_task(NewTask(
            id=f"t{index}", account_id=owners[index % 2], model=MODEL, param="{}", input={},
            callback_url=None, price_milli=1,
        ))
    await write(backend, "UPDATE tasks SET state = 'fail', create_time = create_time - ?",
                40 * DAY_MS)
    await backend.store.create_task(NewTask(
        id="new", account_id=owners[0], model=MODEL, param="{}", input={},
        callback_url=None, price_milli=1,
    ))
    await write(backend, "UPDATE tasks SET state = 'success' WHERE id = 'new'")
    before = [await all_usage(backend, owner) for owner in owners]
    assert sum(u.tasks for rows_ in before for u in rows_) == 602
    assert await janitor(backend, tmp_path).forget_tasks() == 601
    # Two batches added to the same days: the second added to the first's rows.
    assert [await all_usage(backend, owner) for owner in owners] == before
    assert [r["id"] for r in await rows(backend, "SELECT id FROM tasks")] == ["new"]
    assert len(await rows(backend, "SELECT id FROM credit_ledger WHERE reason = 'debit'")) == 602


async def test_a_total_capped_keys_tasks_stay_until_the_key_is_revoked(
    backend: Backend, tmp_path: Path
) -> None:
    # The total cap sums the key's tasks (accounts/caps.py): deleting them would refill it.
    owner = (await backend.store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_a", credits_milli=100_000
    )).id
    keys = backend.api_keys
    capped = await keys.add(NewKey(owner, "hash-capped", "ig_c", caps=SpendCaps(None, None, 8000)))
    assert capped is not None
    await backend.store.create_task(NewTask(
        id="capped-task", account_id=owner, model=MODEL, param="{}", input={},
        callback_url=None, price_milli=4000, key_id=capped.id, caps=capped.caps,
    ))
    await write(backend, "UPDATE tasks SET state = 'success', create_time = create_time - ?",
                40 * DAY_MS)
    assert (await keys.spend(capped)).total_milli == 4000
    assert await janitor(backend, tmp_path).forget_tasks() == 0
    assert (await keys.spend(capped)).total_milli == 4000
    await keys.revoke(capped.id)
    assert await janitor(backend, tmp_path).forget_tasks() == 1


async def test_the_runtime_janitor_deletes_records_past_the_setting(
    runtime_factory: Any,
) -> None:
    runtime = runtime_factory(task_retention_days=2)
    assert runtime.janitor.task_retention_ms == 2 * DAY_MS
    owner = (await runtime.store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_a", credits_milli=100_000
    )).id
    backend = runtime.backend
    for task_id, days in (("three-days", 3), ("one-day", 1)):
        await create(backend, owner, task_id)
        await cancel_task(runtime.store, owner, task_id)
        await age(backend, [task_id], days)
    await write(backend, "UPDATE callbacks SET state = 'delivered'")
    runtime.janitor.start()  # its first pass takes the task records at once
    try:
        for _ in range(100):
            if await runtime.store.get_task("three-days") is None:
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.janitor.stop()
    assert await runtime.store.get_task("three-days") is None
    assert await runtime.store.get_task("one-day") is not None


@pytest.mark.parametrize("days", [0.5, 0.01])
def test_a_retention_shorter_than_a_day_is_refused(days: float) -> None:
    # A key's daily cap sums its tasks of the last day: deleting them sooner refills it.
    with pytest.raises(ValueError, match="task_retention_days"):
        load_settings(task_retention_days=days)
    assert load_settings(task_retention_days=0).task_retention_days == 0
    assert load_settings(task_retention_days=1).task_retention_days == 1
