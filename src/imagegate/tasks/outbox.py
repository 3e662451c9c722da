"""The callback outbox: its rows (one per task that asked for a callback, written in the
transaction that ends the task) and the protocol the sender reads and updates them through.

A row names the task, the surface it was created through and the account's balance right
after it ended (a fact of that moment, Kie's ``remainedCredits``); the sender renders the body
through ``imagegate.wire.callbacks`` when it sends it. Rows written before migration 0007 keep
the body rendered then, and are sent as they are.

db/sqlite/outbox.py and db/postgres/outbox.py keep them; callbacks/sender.py sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from imagegate.wire.surfaces import Surface

# A stored error is for operators to read, not a log file.
MAX_ERROR_CHARS = 1000

def _columns(row: Any) -> list[str]:
    """The row's column names (`in` on a sqlite3.Row itself looks at the values)."""
    return list(row.keys())


@dataclass(frozen=True, slots=True)
class CallbackRow:
    """One callback to deliver: where, what, and how its delivery has gone so far.

    What: ``surface`` and ``balance_milli`` (the balance after the task), from which the
    sender renders the body; or, in a row from before migration 0007, ``body`` itself (then
    the other two are None).
    """

    id: int
    task_id: str
    account_id: str
    url: str
    body: str | None
    surface: Surface | None
    balance_milli: int | None
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
            body=row["body"],
            surface=None if row["surface"] is None else Surface(row["surface"]),
            balance_milli=None if row["balance_milli"] is None else int(row["balance_milli"]),
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



class Outbox(Protocol):
    """Due callbacks claimed under a lease, and how each attempt went."""

    async def claim_due(self, limit: int, lease_ms: int) -> list[CallbackRow]:
        """Up to ``limit`` pending callbacks whose time has come, leased for ``lease_ms``.

        The lease keeps a second sender (or a second pass) from sending the same row while
        this one is in flight; a sender that dies leaves a lease that simply expires.
        """
        ...

    async def mark_delivered(self, id: int, status: int, duration_ms: int = 0) -> bool:
        """Record a 2xx answer (and the attempt); False if the row was already delivered."""
        ...

    async def mark_failed(
        self, id: int, status: int | None, error: str, next_attempt_at: int | None,
        duration_ms: int = 0,
    ) -> bool:
        """Record a failed attempt: retry at ``next_attempt_at`` (epoch ms), or give up (None).
        False if the row is no longer pending (delivered meanwhile by another pass)."""
        ...

    async def get(self, task_id: str) -> CallbackRow | None: ...

    async def attempts(self, task_id: str) -> list[AttemptRow]:
        """Every attempt to deliver the task's callback, oldest first."""
        ...

    async def redeliver(self, task_id: str) -> bool:
        """Send the task's callback again, whatever became of it (delivered, dead): pending
        now, with a fresh budget of attempts. False when the task has no callback."""
        ...

    async def list_for_account(
        self, account_id: str, *, state: str | None = None, limit: int = 100
    ) -> list[CallbackRow]:
        """The account's callbacks, newest first, optionally only those in ``state``."""
        ...

    async def pending_count(self) -> int: ...

    async def next_due_at(self) -> int | None:
        """When the earliest pending callback falls due (epoch ms), or None if none is pending."""
        ...
