"""The callback outbox: rows written when a task ends, read and updated by the sender.

(Rows are inserted by the task store, in the transaction that ends the task.)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from imagegate.tasks.sqlite import SqliteDatabase
from imagegate.tasks.time import now_ms

# A stored error is for operators to read, not a log file.
MAX_ERROR_CHARS = 1000

# Added to a claim's RETURNING: the sender's log lines name the task's model and engine
# (logs/context.py).
CLAIMED_TASK_FIELDS = (
    "(SELECT model FROM tasks WHERE tasks.id = callbacks.task_id) AS model,"
    " (SELECT engine FROM tasks WHERE tasks.id = callbacks.task_id) AS engine"
)


def _columns(row: Any) -> list[str]:
    """The row's column names (`in` on a sqlite3.Row itself looks at the values)."""
    return list(row.keys())


@dataclass(frozen=True, slots=True)
class CallbackRow:
    """One callback to deliver: where, what, and how its delivery has gone so far."""

    id: int
    task_id: str
    account_id: str
    url: str
    body: str
    state: str  # pending | delivered | dead
    attempts: int
    next_attempt_at: int
    last_status: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None
    # The task's model and engine, for the sender's log lines; only a claim reads them
    # (CLAIMED_TASK_FIELDS).
    model: str = ""
    engine: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> CallbackRow:
        return cls(
            id=int(row["id"]),
            task_id=str(row["task_id"]),
            account_id=str(row["account_id"]),
            url=str(row["url"]),
            body=str(row["body"]),
            state=str(row["state"]),
            attempts=int(row["attempts"]),
            next_attempt_at=int(row["next_attempt_at"]),
            last_status=None if row["last_status"] is None else int(row["last_status"]),
            last_error=row["last_error"],
            created_at=int(row["created_at"]),
            delivered_at=None if row["delivered_at"] is None else int(row["delivered_at"]),
            model=str(row["model"] or "") if "model" in _columns(row) else "",
            engine=row["engine"] if "engine" in _columns(row) else None,
        )


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One attempt to deliver a callback: its number in the current round of attempts (a
    redelivery starts a new round), when, the HTTP status or the error, and how long it took."""

    attempt: int
    at: int
    status: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def from_row(cls, row: Any) -> AttemptRow:
        return cls(
            attempt=int(row["attempt"]), at=int(row["at"]),
            status=None if row["status"] is None else int(row["status"]),
            error=row["error"], duration_ms=int(row["duration_ms"]),
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


class CallbackOutbox:
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
