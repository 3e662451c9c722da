"""A task into the in-memory queue and out of it to a worker: the create (Idempotency-Key,
spending caps, debit, ledger row and insert, all or nothing) and the fair claim, with the SQLite
store's rules (db/sqlite/tasks.py) over the rows of tasks/memory/database.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from imagegate.accounts.caps import refuse_over, since
from imagegate.catalog.pricing import milli_to_credits
from imagegate.errors import InsufficientCredits, InternalError
from imagegate.tasks.fairness import SLOT_MS
from imagegate.tasks.idempotency import judge
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.memory.rows import KeyRow, TaskRow
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import PROGRESS, TaskState


def live_task_id(
    db: MemoryDatabase, account_id: str, key: IdempotencyKey, now: int
) -> str | None:
    """The task the account's key made for this same request while the key lives; None when
    it is unknown or dead; 422 when it was used for another request (tasks/idempotency.py)."""
    return judge(db.idempotency.get((account_id, key.key)), key, now)


def create(db: MemoryDatabase, new: NewTask, key: IdempotencyKey | None, now: int) -> Task:
    """``TaskStore.create_task`` as one step: every refusal (a key of another request, a cap,
    a short balance) is decided before any row changes, as a rolled-back transaction leaves
    none."""
    if key is not None:
        held = db.idempotency.get((new.account_id, key.key))
        if held is not None and held.expires_ms > now:
            # A live key: its task (a repeat), or 422 for another request.
            task_id = judge(held, key, now)
            row = db.tasks.get(task_id or "")
            if row is None:  # pragma: no cover - a key row is only written with its task
                raise RuntimeError(f"Idempotency-Key row without its task {task_id}")
            return row.task()
    if new.id in db.tasks:
        raise InternalError(f"task id {new.id} exists already")
    if new.caps and new.key_id is not None:
        spend = db.spend(new.account_id, new.key_id, now, since(new.caps, now))
        refuse_over(new.caps, spend, new.price_milli)
    account = db.accounts.get(new.account_id)
    if account is None or account.credits_milli < new.price_milli:
        have = milli_to_credits(account.credits_milli) if account else 0
        raise InsufficientCredits(
            f"Insufficient credits: this task costs "
            f"{milli_to_credits(new.price_milli)}, the balance is {have}"
        )
    # The debit and the fair-queuing clock (tasks/fairness.py), which places the task.
    db.credit(new.account_id, -new.price_milli)
    clock = db.fair_clocks[new.account_id] = (
        max(db.fair_clocks.get(new.account_id, 0), now) + SLOT_MS
    )
    if new.price_milli:
        db.add_ledger(new.account_id, new.id, "debit", -new.price_milli, now)
    if key is not None:
        # A dead row (past its window) is taken over.
        db.idempotency[(new.account_id, key.key)] = KeyRow(
            new.id, key.request_hash, now, now + key.window_ms
        )
    row = TaskRow(
        id=new.id, account_id=new.account_id, model=new.model, state=TaskState.WAITING,
        param=new.param, input=json.dumps(new.input, separators=(",", ":")),
        callback_url=new.callback_url, price_milli=new.price_milli, create_time=now,
        update_time=now, priority=new.priority, fair_key=clock, key_id=new.key_id,
        surface=new.surface, cancel_at=new.cancel_at, result_retention_ms=new.result_retention_ms,
        webhook_events=new.webhook_events,
    )
    db.add_task(row)
    return row.task()


def claim(
    db: MemoryDatabase,
    worker_id: str,
    lease_ms: int,
    models: Sequence[str] | None,
    now: int,
    exclude: Sequence[str] = (),
) -> Task | None:
    """``TaskStore.claim`` as one step: a task whose lease expired first (the oldest work),
    else the next fair slot's account's most urgent task; of ``models`` (None: any) but
    never of ``exclude``."""

    def serves(row: TaskRow) -> bool:
        return (models is None or row.model in models) and row.model not in exclude

    found = _expired(db, serves, now) or _next_fair(db, serves)
    if found is None:
        return None
    found.state = TaskState.QUEUING
    found.progress = PROGRESS[TaskState.QUEUING]
    found.lease_owner = worker_id
    found.lease_token += 1
    found.lease_expires_at = now + lease_ms
    found.attempts += 1
    found.update_time = now
    return found.task()


def _expired(db: MemoryDatabase, serves: Callable[[TaskRow], bool], now: int) -> TaskRow | None:
    expired = [
        row for row in db.live.values()
        if row.state.is_claimed and row.lease_expires_at is not None
        and row.lease_expires_at < now and serves(row)
    ]
    return min(expired, key=lambda row: row.lease_expires_at or 0, default=None)


def _next_fair(db: MemoryDatabase, serves: Callable[[TaskRow], bool]) -> TaskRow | None:
    """The smallest fair key's account, its most urgent waiting task; the slot's task takes
    over the runner's key when the two differ (tasks/fairness.py)."""
    waiting = [
        row for row in db.live.values()
        if row.state is TaskState.WAITING and serves(row)
    ]
    slot = min(waiting, key=lambda row: row.fair_key, default=None)
    if slot is None:
        return None
    best = min(
        (row for row in waiting if row.account_id == slot.account_id),
        key=lambda row: (-row.priority, row.create_time, row.id),
    )
    if best is not slot:
        slot.fair_key = best.fair_key
    return best
