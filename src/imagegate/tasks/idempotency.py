"""``Idempotency-Key`` of task creation: the request's fingerprint and the key rows' SQL.

A key names one create request of one account for ``idempotency_hours`` (24 by default). The
store claims the key in the transaction that debits and inserts the task (``store.create_task``),
so the key, the task and the debit commit or roll back together; a repeat of the request within
the window gets the task the key made, and the key with another request is refused (422). The
janitor forgets keys past their window (``forget_expired``); until it does, a dead row is taken
over by the next request that brings its key.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from imagegate.errors import ValidationFailed
from imagegate.tasks.model import IdempotencyKey
from imagegate.tasks.sqlite import SqliteDatabase

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Rows the janitor deletes per transaction: each transaction runs on the event loop's thread.
_FORGET_BATCH = 1000


def request_hash(request: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the request's canonical JSON: keys sorted, no spaces, UTF-8."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(value: str) -> str:
    """The header's value if it is 1-255 printable ASCII characters (space only inside);
    422 naming the header otherwise."""
    if not 1 <= len(value) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            HEADER, f"must be 1 to {MAX_KEY_LENGTH} characters (got {len(value)})"
        )
    if not all(" " <= char <= "~" for char in value) or value != value.strip(" "):
        raise ValidationFailed(
            HEADER, "must be printable ASCII characters (spaces only between others)"
        )
    return value


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


def judge(row: Any, key: IdempotencyKey, now: int) -> str | None:
    """``live_task_id``'s decision on the key's row (task_id, request_hash, expires_ms), on
    any database: the task, None for no live row, 422 for a key of another request."""
    if row is None or row["expires_ms"] <= now:
        return None
    if row["request_hash"] != key.request_hash:
        until = datetime.fromtimestamp(row["expires_ms"] / 1000, UTC)
        raise ValidationFailed(
            HEADER,
            f"the key {key.key[:60]!r} was used for another request (a different model, input"
            f" or callback URL); it expires at {until.isoformat(timespec='seconds')}, until"
            " then send this request with a new key",
        )
    return str(row["task_id"])


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
