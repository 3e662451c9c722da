"""What the operator's dashboard reads besides the queue: recent throughput and failures per
model, and the callbacks that fail to arrive. One class per database, as ``queue_stats.py``.

Every read is bounded by an index. Task ids start with their creation time in hex
(``ids.py``), so "tasks created in the last hour" is a range of the primary key: a read costs
the tasks of that window, never the whole history. The callbacks are read through their
``(state, next_attempt_at)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imagegate.tasks.postgres import PostgresDatabase
from imagegate.tasks.sqlite import SqliteDatabase


@dataclass(frozen=True, slots=True)
class ModelWindow:
    """A model's tasks created within the window, by outcome so far."""

    model: str
    created: int
    succeeded: int
    failed: int
    avg_cost_ms: int | None  # mean run time of the successes


@dataclass(frozen=True, slots=True)
class RecentFailure:
    task_id: str
    account_id: str
    model: str
    fail_code: str | None
    fail_msg: str | None
    engine: str | None
    failed_at: int


@dataclass(frozen=True, slots=True)
class CallbackFailure:
    """A callback that is dead (out of attempts) or still retrying after a failed attempt."""

    task_id: str
    account_id: str
    url: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: int


def id_floor(since_ms: int) -> str:
    """The smallest task id created at or after ``since_ms`` (``ids.new_task_id``'s prefix)."""
    return f"{max(since_ms, 0):012x}"


_WINDOW = (
    "SELECT model, COUNT(*) AS created,"
    " SUM(CASE WHEN state = 'success' THEN 1 ELSE 0 END) AS succeeded,"
    " SUM(CASE WHEN state = 'fail' THEN 1 ELSE 0 END) AS failed,"
    " AVG(CASE WHEN state = 'success' THEN cost_time END) AS avg_cost"
    " FROM tasks WHERE id >= {0} GROUP BY model ORDER BY model"
)
_FAILURES = (
    "SELECT id, account_id, model, fail_code, fail_msg, engine, update_time FROM tasks"
    " WHERE id >= {0} AND state = 'fail' ORDER BY id DESC LIMIT {1}"
)
# Dead ones first, newest first; then those still retrying after a failed attempt.
_DEAD = (
    "SELECT task_id, account_id, url, state, attempts, last_status, last_error, next_attempt_at"
    " FROM callbacks WHERE state = 'dead' ORDER BY next_attempt_at DESC LIMIT {0}"
)
_RETRYING = (
    "SELECT task_id, account_id, url, state, attempts, last_status, last_error, next_attempt_at"
    " FROM callbacks WHERE state = 'pending' AND attempts > 0 ORDER BY next_attempt_at LIMIT {0}"
)


def _window(row: Any) -> ModelWindow:
    avg = row["avg_cost"]
    return ModelWindow(
        model=str(row["model"]), created=int(row["created"]), succeeded=int(row["succeeded"]),
        failed=int(row["failed"]), avg_cost_ms=None if avg is None else round(float(avg)),
    )


def _failure(row: Any) -> RecentFailure:
    return RecentFailure(
        task_id=row["id"], account_id=row["account_id"], model=row["model"],
        fail_code=row["fail_code"], fail_msg=row["fail_msg"], engine=row["engine"],
        failed_at=int(row["update_time"]),
    )


def _callback(row: Any) -> CallbackFailure:
    status = row["last_status"]
    return CallbackFailure(
        task_id=row["task_id"], account_id=row["account_id"], url=row["url"],
        state=row["state"], attempts=int(row["attempts"]),
        last_status=None if status is None else int(status), last_error=row["last_error"],
        next_attempt_at=int(row["next_attempt_at"]),
    )


class SqliteOverview:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def window(self, since_ms: int) -> list[ModelWindow]:
        rows = self.db.conn.execute(_WINDOW.format("?"), (id_floor(since_ms),)).fetchall()
        return [_window(r) for r in rows]

    async def failures(self, since_ms: int, limit: int) -> list[RecentFailure]:
        query = _FAILURES.format("?", "?")
        rows = self.db.conn.execute(query, (id_floor(since_ms), limit)).fetchall()
        return [_failure(r) for r in rows]

    async def callback_failures(self, limit: int) -> list[CallbackFailure]:
        rows = [
            *self.db.conn.execute(_DEAD.format("?"), (limit,)).fetchall(),
            *self.db.conn.execute(_RETRYING.format("?"), (limit,)).fetchall(),
        ]
        return [_callback(r) for r in rows[:limit]]


class PgOverview:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def window(self, since_ms: int) -> list[ModelWindow]:
        async with self.db.pool.acquire() as conn:
            rows = await conn.fetch(_WINDOW.format("$1"), id_floor(since_ms))
        return [_window(r) for r in rows]

    async def failures(self, since_ms: int, limit: int) -> list[RecentFailure]:
        async with self.db.pool.acquire() as conn:
            rows = await conn.fetch(_FAILURES.format("$1", "$2"), id_floor(since_ms), limit)
        return [_failure(r) for r in rows]

    async def callback_failures(self, limit: int) -> list[CallbackFailure]:
        async with self.db.pool.acquire() as conn:
            rows = [
                *await conn.fetch(_DEAD.format("$1"), limit),
                *await conn.fetch(_RETRYING.format("$1"), limit),
            ]
        return [_callback(r) for r in rows[:limit]]


Overview = SqliteOverview | PgOverview


def open_overview(db: SqliteDatabase | PostgresDatabase) -> Overview:
    return SqliteOverview(db) if isinstance(db, SqliteDatabase) else PgOverview(db)
