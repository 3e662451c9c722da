"""The callback outbox (tasks/outbox.py) on SQLite. Rows are inserted by the task store,
in the transaction that ends the task."""

from __future__ import annotations

import sqlite3

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.outbox import MAX_ERROR_CHARS, AttemptRow, CallbackRow

# Added to a claim's RETURNING: the sender's log lines name the task's model and engine
# (logs/context.py).
CLAIMED_TASK_FIELDS = (
    "(SELECT model FROM tasks WHERE tasks.id = callbacks.task_id) AS model,"
    " (SELECT engine FROM tasks WHERE tasks.id = callbacks.task_id) AS engine"
)


# The attempt's history row, written with the outcome it records (before the row's update, so
# ``attempts + 1`` is this attempt's number). Params: at, status, error, duration, callback id.
SQL_LOG_ATTEMPT = (
    "INSERT INTO callback_attempts (task_id, attempt, at, status, error, duration_ms)"
    " SELECT task_id, attempts + 1, ?, ?, ?, ? FROM callbacks WHERE id = ?"
)
SQL_ATTEMPTS = "SELECT * FROM callback_attempts WHERE task_id = ? ORDER BY id"
SQL_REDELIVER = (
    "UPDATE callbacks SET state = 'pending', attempts = 0, next_attempt_at = ?,"
    " lease_expires_at = NULL WHERE task_id = ?"
)


class SqliteOutbox:
    """Claims due callbacks under a lease and records how each attempt went."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def claim_due(self, limit: int, lease_ms: int) -> list[CallbackRow]:
        """Up to ``limit`` pending callbacks whose time has come, leased for ``lease_ms``.

        The lease keeps a second sender (or a second pass) from sending the same row while
        this one is in flight; a sender that dies leaves a lease that simply expires.
        """
        if limit <= 0:
            return []

        def tx(conn: sqlite3.Connection) -> list[CallbackRow]:
            now = now_ms()
            rows = conn.execute(
                "UPDATE callbacks SET lease_expires_at = ? WHERE id IN ("
                " SELECT id FROM callbacks WHERE state = 'pending' AND next_attempt_at <= ?"
                " AND (lease_expires_at IS NULL OR lease_expires_at < ?)"
                " ORDER BY next_attempt_at, id LIMIT ?) RETURNING *, " + CLAIMED_TASK_FIELDS,
                (now + lease_ms, now, now, limit),
            ).fetchall()
            return sorted((CallbackRow.from_row(r) for r in rows), key=lambda r: r.id)

        return await self.db.write(tx)

    async def mark_delivered(self, id: int, status: int, duration_ms: int = 0) -> bool:
        """Record a 2xx answer (and the attempt); False if the row was already delivered."""

        def tx(conn: sqlite3.Connection) -> bool:
            now = now_ms()
            conn.execute(SQL_LOG_ATTEMPT, (now, status, None, duration_ms, id))
            # Also over 'dead': the receiver did get it, whatever a concurrent pass concluded.
            return conn.execute(
                "UPDATE callbacks SET state = 'delivered', attempts = attempts + 1,"
                " last_status = ?, delivered_at = ?, lease_expires_at = NULL"
                " WHERE id = ? AND state != 'delivered'",
                (status, now, id),
            ).rowcount > 0

        return await self.db.write(tx)

    async def mark_failed(
        self, id: int, status: int | None, error: str, next_attempt_at: int | None,
        duration_ms: int = 0,
    ) -> bool:
        """Record a failed attempt: retry at ``next_attempt_at`` (epoch ms), or give up (None).

        False if the row is no longer pending (delivered meanwhile by another pass).
        """

        def tx(conn: sqlite3.Connection) -> bool:
            conn.execute(
                SQL_LOG_ATTEMPT, (now_ms(), status, error[:MAX_ERROR_CHARS], duration_ms, id)
            )
            if next_attempt_at is None:
                return conn.execute(
                    "UPDATE callbacks SET state = 'dead', attempts = attempts + 1,"
                    " last_status = ?, last_error = ?, lease_expires_at = NULL"
                    " WHERE id = ? AND state = 'pending'",
                    (status, error[:MAX_ERROR_CHARS], id),
                ).rowcount > 0
            return conn.execute(
                "UPDATE callbacks SET attempts = attempts + 1, next_attempt_at = ?,"
                " last_status = ?, last_error = ?, lease_expires_at = NULL"
                " WHERE id = ? AND state = 'pending'",
                (next_attempt_at, status, error[:MAX_ERROR_CHARS], id),
            ).rowcount > 0

        return await self.db.write(tx)

    async def get(self, task_id: str) -> CallbackRow | None:
        row = self.db.conn.execute(
            "SELECT * FROM callbacks WHERE task_id = ?", (task_id,)
        ).fetchone()
        return None if row is None else CallbackRow.from_row(row)

    async def attempts(self, task_id: str) -> list[AttemptRow]:
        """Every attempt to deliver the task's callback, oldest first."""
        rows = self.db.conn.execute(SQL_ATTEMPTS, (task_id,)).fetchall()
        return [AttemptRow.from_row(r) for r in rows]

    async def redeliver(self, task_id: str) -> bool:
        """Send the task's callback again, whatever became of it (delivered, dead): pending
        now, with a fresh budget of attempts. False when the task has no callback."""

        def tx(conn: sqlite3.Connection) -> bool:
            return conn.execute(SQL_REDELIVER, (now_ms(), task_id)).rowcount > 0

        return await self.db.write(tx)

    async def list_for_account(
        self, account_id: str, *, state: str | None = None, limit: int = 100
    ) -> list[CallbackRow]:
        """The account's callbacks, newest first, optionally only those in ``state``."""
        if state is None:
            rows = self.db.conn.execute(
                "SELECT * FROM callbacks WHERE account_id = ? ORDER BY id DESC LIMIT ?",
                (account_id, limit),
            ).fetchall()
        else:
            rows = self.db.conn.execute(
                "SELECT * FROM callbacks WHERE account_id = ? AND state = ?"
                " ORDER BY id DESC LIMIT ?",
                (account_id, state, limit),
            ).fetchall()
        return [CallbackRow.from_row(r) for r in rows]

    async def pending_count(self) -> int:
        row = self.db.conn.execute(
            "SELECT COUNT(*) FROM callbacks WHERE state = 'pending'"
        ).fetchone()
        return int(row[0])

    async def next_due_at(self) -> int | None:
        """When the earliest pending callback falls due (epoch ms), or None if none is pending."""
        row = self.db.conn.execute(
            "SELECT MIN(MAX(next_attempt_at, COALESCE(lease_expires_at, 0)))"
            " FROM callbacks WHERE state = 'pending'"
        ).fetchone()
        return None if row[0] is None else int(row[0])
