"""``cancelTask``: end a task the account no longer wants.

A task not yet running (``waiting``, or ``queuing``: claimed, inputs being fetched) ends at
once: ``fail`` with failCode ``CANCELED`` (a state every Kie client knows), refunded, its
callback queued, in one transaction. The lease token moves on, so the worker that claimed it
finds its lease gone at its next write and leaves the task alone.

A ``generating`` task is cancelled cooperatively: ``cancel_requested`` is set, and the worker
running it learns at once (the in-process call, or NOTIFY on ``imagegate_cancel`` on
PostgreSQL) or at its next heartbeat, stops its engine at the engine's next step, and finishes
the task the same way. A finished task is not changed: the caller gets a clear error.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import asyncpg

from imagegate.errors import NotFound, ValidationFailed
from imagegate.tasks.model import Task
from imagegate.tasks.pg_store import PostgresStore, queue_callback
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import CallbackBodyFn, SqliteStore
from imagegate.tasks.time import now_ms

CANCELED = "CANCELED"
CANCELED_MSG = "Canceled by the user (cancelTask)"
# Announces a cancel request of a running task ("task id"), to whichever worker runs it.
CANCEL_CHANNEL = "imagegate_cancel"

_END_NOW = (
    "UPDATE tasks SET state = 'fail', fail_code = '{code}', fail_msg = {msg},"
    " complete_time = {now}, cost_time = {now} - create_time, update_time = {now},"
    " lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1"
    " WHERE id = {id} AND account_id = {account} AND state IN ('waiting', 'queuing')"
    " RETURNING *"
)
_REQUEST = (
    "UPDATE tasks SET cancel_requested = 1, update_time = {now}"
    " WHERE id = {id} AND account_id = {account} AND state = 'generating' RETURNING *"
)


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The task after the request; ``ended`` when it is over now, not when its engine stops."""

    task: Task
    ended: bool


async def cancel_task(
    store: SqliteStore | PostgresStore, account_id: str, task_id: str,
    callback_body: CallbackBodyFn,
) -> Cancelled:
    if isinstance(store, PostgresStore):
        return await _cancel_pg(store, account_id, task_id, callback_body)
    return await _cancel_sqlite(store, account_id, task_id, callback_body)


async def _cancel_sqlite(
    store: SqliteStore, account_id: str, task_id: str, callback_body: CallbackBodyFn
) -> Cancelled:
    def tx(conn: sqlite3.Connection) -> Cancelled | None:
        now = now_ms()
        places = {"now": "?", "id": "?", "account": "?", "msg": "?", "code": CANCELED}
        row = conn.execute(
            _END_NOW.format(**places), (CANCELED_MSG, now, now, now, task_id, account_id)
        ).fetchone()
        if row is not None:
            task = SqliteStore._after_terminal(conn, Task.from_row(row), now, callback_body)
            return Cancelled(task, ended=True)
        row = conn.execute(_REQUEST.format(**places), (now, task_id, account_id)).fetchone()
        return Cancelled(Task.from_row(row), ended=False) if row is not None else None

    done = await store.db.write(tx)
    return done if done is not None else await _refuse(store, account_id, task_id)


async def _cancel_pg(
    store: PostgresStore, account_id: str, task_id: str, callback_body: CallbackBodyFn
) -> Cancelled:
    async with store.db.transaction() as conn:
        now = now_ms()
        row = await conn.fetchrow(
            _END_NOW.format(now="$1", msg="$2", id="$3", account="$4", code=CANCELED),
            now, CANCELED_MSG, task_id, account_id,
        )
        if row is not None:
            task = Task.from_row(row)
            await _refund_and_call_back(conn, task, now, callback_body)
            return Cancelled(task, ended=True)
        row = await conn.fetchrow(
            _REQUEST.format(now="$1", id="$2", account="$3"), now, task_id, account_id
        )
        if row is not None:
            await conn.execute("SELECT pg_notify($1, $2)", CANCEL_CHANNEL, task_id)
            return Cancelled(Task.from_row(row), ended=False)
    return await _refuse(store, account_id, task_id)


async def _refund_and_call_back(
    conn: asyncpg.Connection, task: Task, now: int, callback_body: CallbackBodyFn
) -> None:
    """A cancelled task's refund (once: the ledger's unique (task, reason)) and callback row,
    in the cancel's transaction."""
    if task.price_milli:
        refunded = await conn.fetchval(
            "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
            " VALUES ($1, $2, 'refund', $3, $4) ON CONFLICT (task_id, reason) DO NOTHING"
            " RETURNING id",
            task.account_id, task.id, task.price_milli, now,
        )
        if refunded is not None:
            await conn.execute(
                "UPDATE accounts SET credits_milli = credits_milli + $1 WHERE id = $2",
                task.price_milli, task.account_id,
            )
    await queue_callback(conn, task, callback_body)


async def _refuse(store: SqliteStore | PostgresStore, account_id: str, task_id: str) -> Cancelled:
    """Nothing to cancel: 404 for a task the account does not have, 422 for a finished one
    (a cancel never changes a finished task), the record unchanged."""
    task = await store.get_task(task_id, account_id)
    if task is None:
        raise NotFound(f"Task not found: {task_id}")
    if task.state in (TaskState.SUCCESS, TaskState.FAIL):
        raise ValidationFailed(
            "taskId",
            f"task {task_id} has already finished ({task.state.value}); there is nothing to"
            " cancel",
        )
    # Raced with a state change between the two updates: the caller may simply ask again.
    raise ValidationFailed("taskId", f"task {task_id} changed state; send cancelTask again")
