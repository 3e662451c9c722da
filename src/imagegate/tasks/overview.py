"""What the operator's dashboard reads besides the queue: recent throughput and failures per
model, and the callbacks that fail to arrive.
Every read is bounded by an index. Task ids start with their creation time in hex
(``ids.py``), so "tasks created in the last hour" is a range of the primary key: a read costs
the tasks of that window, never the whole history. The callbacks are read through their
``(state, next_attempt_at)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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


class Overview(Protocol):
    """The dashboard's reads (db/sqlite/overview.py, db/postgres/overview.py)."""

    async def window(self, since_ms: int) -> list[ModelWindow]:
        """Each model's tasks created since ``since_ms``, by outcome so far."""
        ...

    async def failures(self, since_ms: int, limit: int) -> list[RecentFailure]:
        """The newest failed tasks created since ``since_ms``."""
        ...

    async def callback_failures(self, limit: int) -> list[CallbackFailure]:
        """Dead callbacks (newest first), then those still retrying after a failure."""
        ...
