"""The callback outbox (tasks/outbox.py's ``Outbox``) in memory: due rows claimed under a
lease, each attempt's outcome and its history, as db/sqlite/outbox.py keeps them. The rows are
written by the task store's terminal moves (tasks/memory/ending.py)."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.memory.rows import CallbackEntry
from imagegate.tasks.outbox import MAX_ERROR_CHARS, AttemptRow, CallbackRow


class MemoryOutbox:
    """Claims due callbacks under a lease and records how each attempt went."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def _by_id(self, id: int) -> CallbackEntry | None:
        return next((entry for entry in self.db.callbacks.values() if entry.id == id), None)

    async def claim_due(self, limit: int, lease_ms: int) -> list[CallbackRow]:
        """Up to ``limit`` pending callbacks whose time has come, leased for ``lease_ms``: the
        lease keeps a second pass from sending a row while this one is in flight."""
        if limit <= 0:
            return []
        now = now_ms()
        due = sorted(
            (entry for entry in self.db.callbacks.values()
             if entry.state == "pending" and entry.next_attempt_at <= now
             and (entry.lease_expires_at is None or entry.lease_expires_at < now)),
            key=lambda entry: (entry.next_attempt_at, entry.id),
        )[:limit]
        claimed = []
        for entry in sorted(due, key=lambda entry: entry.id):
            entry.lease_expires_at = now + lease_ms
            # The task's model and engine, for the sender's log lines (the task may be gone).
            task = self.db.tasks.get(entry.task_id)
            claimed.append(entry.row(task.model if task else "", task.engine if task else None))
        return claimed

    def _log(self, entry: CallbackEntry, status: int | None, error: str | None,
             duration_ms: int, now: int) -> None:
        """The attempt's history row, numbered before the row's own count moves on."""
        self.db.attempts.setdefault(entry.task_id, []).append(
            AttemptRow(entry.attempts + 1, now, status, error, duration_ms)
        )

    async def mark_delivered(self, id: int, status: int, duration_ms: int = 0) -> bool:
        """Record a 2xx answer (and the attempt); False if the row was already delivered."""
        entry = self._by_id(id)
        if entry is None:
            return False
        now = now_ms()
        self._log(entry, status, None, duration_ms, now)
        # Also over 'dead': the receiver did get it, whatever a concurrent pass concluded.
        if entry.state == "delivered":
            return False
        entry.state = "delivered"
        entry.attempts += 1
        entry.last_status = status
        entry.delivered_at = now
        entry.lease_expires_at = None
        return True

    async def mark_failed(
        self, id: int, status: int | None, error: str, next_attempt_at: int | None,
        duration_ms: int = 0,
    ) -> bool:
        """Record a failed attempt: retry at ``next_attempt_at`` (epoch ms), or give up (None).
        False if the row is no longer pending (delivered meanwhile by another pass)."""
        entry = self._by_id(id)
        if entry is None:
            return False
        error = error[:MAX_ERROR_CHARS]
        self._log(entry, status, error, duration_ms, now_ms())
        if entry.state != "pending":
            return False
        if next_attempt_at is None:
            entry.state = "dead"
        else:
            entry.next_attempt_at = next_attempt_at
        entry.attempts += 1
        entry.last_status = status
        entry.last_error = error
        entry.lease_expires_at = None
        return True

    async def get(self, task_id: str) -> CallbackRow | None:
        entry = self.db.callbacks.get(task_id)
        return None if entry is None else entry.row()

    async def attempts(self, task_id: str) -> list[AttemptRow]:
        """Every attempt to deliver the task's callback, oldest first."""
        return list(self.db.attempts.get(task_id, ()))

    async def redeliver(self, task_id: str) -> bool:
        """Send the task's callback again, whatever became of it (delivered, dead): pending
        now, with a fresh budget of attempts. False when the task has no callback."""
        entry = self.db.callbacks.get(task_id)
        if entry is None:
            return False
        entry.state = "pending"
        entry.attempts = 0
        entry.next_attempt_at = now_ms()
        entry.lease_expires_at = None
        return True

    async def list_for_account(
        self, account_id: str, *, state: str | None = None, limit: int = 100
    ) -> list[CallbackRow]:
        """The account's callbacks, newest first, optionally only those in ``state``."""
        rows = sorted(
            (entry for entry in self.db.callbacks.values()
             if entry.account_id == account_id and (state is None or entry.state == state)),
            key=lambda entry: entry.id, reverse=True,
        )
        return [entry.row() for entry in rows[:limit]]

    async def pending_count(self) -> int:
        return sum(entry.state == "pending" for entry in self.db.callbacks.values())

    async def next_due_at(self) -> int | None:
        """When the earliest pending callback falls due (epoch ms), or None if none is pending."""
        return min(
            (max(entry.next_attempt_at, entry.lease_expires_at or 0)
             for entry in self.db.callbacks.values() if entry.state == "pending"),
            default=None,
        )
