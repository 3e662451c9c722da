"""The dashboard's reads (tasks/overview.py) on SQLite, and the SQL both databases share.

Every read is bounded by an index: task ids start with their creation time in hex
(``tasks/ids.py``), so "tasks created in the last hour" is a range of the primary key; the
callbacks are read through their ``(state, next_attempt_at)`` index.
"""

from __future__ import annotations

from typing import Any

from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.overview import CallbackFailure, ModelWindow, RecentFailure, id_floor

SQL_WINDOW = (
    "SELECT model, COUNT(*) AS created,"
    " SUM(CASE WHEN state = 'success' THEN 1 ELSE 0 END) AS succeeded,"
    " SUM(CASE WHEN state = 'fail' THEN 1 ELSE 0 END) AS failed,"
    " AVG(CASE WHEN state = 'success' THEN cost_time END) AS avg_cost"
    " FROM tasks WHERE id >= {0} GROUP BY model ORDER BY model"
)
SQL_FAILURES = (
    "SELECT id, account_id, model, fail_code, fail_msg, engine, update_time FROM tasks"
    " WHERE id >= {0} AND state = 'fail' ORDER BY id DESC LIMIT {1}"
)
# Dead ones first, newest first; then those still retrying after a failed attempt.
SQL_DEAD = (
    "SELECT task_id, account_id, url, state, attempts, last_status, last_error, next_attempt_at"
    " FROM callbacks WHERE state = 'dead' ORDER BY next_attempt_at DESC LIMIT {0}"
)
SQL_RETRYING = (
    "SELECT task_id, account_id, url, state, attempts, last_status, last_error, next_attempt_at"
    " FROM callbacks WHERE state = 'pending' AND attempts > 0 ORDER BY next_attempt_at LIMIT {0}"
)


def window_of(row: Any) -> ModelWindow:
    avg = row["avg_cost"]
    return ModelWindow(
        model=str(row["model"]), created=int(row["created"]), succeeded=int(row["succeeded"]),
        failed=int(row["failed"]), avg_cost_ms=None if avg is None else round(float(avg)),
    )


def failure_of(row: Any) -> RecentFailure:
    return RecentFailure(
        task_id=row["id"], account_id=row["account_id"], model=row["model"],
        fail_code=row["fail_code"], fail_msg=row["fail_msg"], engine=row["engine"],
        failed_at=int(row["update_time"]),
    )


def callback_of(row: Any) -> CallbackFailure:
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
        rows = self.db.conn.execute(SQL_WINDOW.format("?"), (id_floor(since_ms),)).fetchall()
        return [window_of(r) for r in rows]

    async def failures(self, since_ms: int, limit: int) -> list[RecentFailure]:
        query = SQL_FAILURES.format("?", "?")
        rows = self.db.conn.execute(query, (id_floor(since_ms), limit)).fetchall()
        return [failure_of(r) for r in rows]

    async def callback_failures(self, limit: int) -> list[CallbackFailure]:
        rows = [
            *self.db.conn.execute(SQL_DEAD.format("?"), (limit,)).fetchall(),
            *self.db.conn.execute(SQL_RETRYING.format("?"), (limit,)).fetchall(),
        ]
        return [callback_of(r) for r in rows[:limit]]
