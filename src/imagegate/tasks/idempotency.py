"""``Idempotency-Key`` of task creation: the header's rules, the request's fingerprint and the
judgement of a key's row (the rows themselves: db/sqlite/idempotency.py, db/postgres/tasks.py).

A key names one create request of one account for ``idempotency_hours`` (24 by default). The
store claims the key in the transaction that debits and inserts the task
(``TaskStore.create_task``), so the key, the task and the debit commit or roll back together; a
repeat of the request within the window gets the task the key made, and the key with another
request is refused (422). The janitor forgets keys past their window
(``TaskStore.forget_expired_keys``); until it does, a dead row is taken over by the next request
that brings its key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from imagegate.errors import ValidationFailed
from imagegate.tasks.model import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


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


def judge(row: Any, key: IdempotencyKey, now: int) -> str | None:
    """The decision on the key's row (task_id, request_hash, expires_ms), on
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
