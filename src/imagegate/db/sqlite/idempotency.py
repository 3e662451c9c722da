"""Idempotency-Key rows (tasks/idempotency.py) on SQLite: claimed inside the create's
transaction, read on a repeat, forgotten by the janitor."""

from __future__ import annotations

import sqlite3

from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.idempotency import judge
from imagegate.tasks.model import IdempotencyKey

# Rows the janitor deletes per transaction: each transaction runs on the event loop's thread.
_FORGET_BATCH = 1000


def live_task_id(
    conn: sqlite3.Connection, account_id: str, key: IdempotencyKey, now: int
) -> str | None:
    """The task the account's key made, if the key is within its window and was used for this
    same request; None if the key is unknown or dead; 422 if it was used for another request."""
    row = conn.execute(
        "SELECT task_id, request_hash, expires_ms FROM idempotency_keys"
        " WHERE account_id = ? AND key = ?",
        (account_id, key.key),
    ).fetchone()
    return judge(row, key, now)


def claim(
    conn: sqlite3.Connection, account_id: str, key: IdempotencyKey, task_id: str, now: int
) -> bool:
    """Take the key for ``task_id`` (inside the create's transaction); False when a live row
    holds it. A dead row (past its window) is taken over. The primary key decides."""
    row = conn.execute(
        "INSERT INTO idempotency_keys (account_id, key, task_id, request_hash, created_ms,"
        " expires_ms) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account_id, key) DO UPDATE SET task_id = excluded.task_id,"
        " request_hash = excluded.request_hash, created_ms = excluded.created_ms,"
        " expires_ms = excluded.expires_ms WHERE idempotency_keys.expires_ms <= ?"
        " RETURNING task_id",
        (account_id, key.key, task_id, key.request_hash, now, now + key.window_ms, now),
    ).fetchone()
    return row is not None


async def forget_expired(db: SqliteDatabase, now: int) -> int:
    """Delete the keys whose window has passed (in batches); how many were deleted."""

    def tx(conn: sqlite3.Connection) -> int:
        return conn.execute(
            "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys"
            " WHERE expires_ms <= ? LIMIT ?)",
            (now, _FORGET_BATCH),
        ).rowcount

    removed = 0
    while True:
        count = await db.write(tx)
        removed += count
        if count < _FORGET_BATCH:
            return removed
