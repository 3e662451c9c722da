"""The TaskStore protocol: the operations the API and the worker do on tasks, each one
transaction, and the values they take and give (``Finish``, ``Beat``).

db/sqlite/tasks.py and db/postgres/tasks.py implement it. The rules (which state may follow
which, what a failure refunds, when a callback row is due) are tasks/state.py's; a store
enforces them with conditional writes, so a stale worker or a second finish changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from imagegate.tasks.files import StoredFile
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import TaskState


class Beat(enum.IntEnum):
    """What a heartbeat found: the lease gone (falsy), still held, or held with a cancel
    request waiting for the worker."""

    LOST = 0
    HELD = 1
    CANCEL = 2

    @classmethod
    def of(cls, row: Any) -> Beat:
        """From the heartbeat's ``RETURNING cancel_requested`` row (None: no row updated)."""
        if row is None:
            return cls.LOST
        return cls.CANCEL if row[0] else cls.HELD


@dataclass(frozen=True, slots=True)
class Finish:
    """How a claimed task ends: success with stored result files, or failure."""

    state: TaskState
    result_json: str | None = None
    fail_code: str | None = None
    fail_msg: str | None = None
    engine: str | None = None
    # The result files' registry rows, written with the final state: a success is never
    # recorded without its files, and the finish stays one write.
    files: tuple[StoredFile, ...] = ()
    # A success that cost less than the price charged at create (a pass-through task settled to
    # the upstream's reported cost): this much is given back in the same step, as the task's
    # one refund, and the task's price becomes what it cost. At most the price; 0 on a failure.
    refund_milli: int = 0


class TaskReader(Protocol):
    """Reading one task: what the callback sender needs to render a finished task's body."""

    async def get_task(self, task_id: str, account_id: str | None = None) -> Task | None:
        """The task, or None if unknown or (when ``account_id`` is given) another account's."""
        ...


class TaskStore(TaskReader, Protocol):
    """Tasks from their create to their end (accounts and meta rows: accounts/store.py,
    tasks/switches.py)."""

    async def create_task(self, new: NewTask, key: IdempotencyKey | None = None) -> Task:
        """Debit the price and insert the task in one transaction (402 when short).

        With ``key``, the same transaction claims the account's Idempotency-Key for the task
        first: when a live row holds the key already (a repeat, or the winner of a race), the
        task it made is returned instead and nothing is debited or inserted (``task.id`` then
        differs from ``new.id``); a key used for another request is refused (422).
        """
        ...

    async def keyed_task(self, account_id: str, key: IdempotencyKey) -> Task | None:
        """The task the account's live Idempotency-Key made for this same request; None when
        the key is unknown or past its window; 422 when it was used for another request."""
        ...

    async def forget_expired_keys(self, now: int | None = None) -> int:
        """Delete the Idempotency-Keys past their window; how many were deleted."""
        ...

    async def claim(
        self,
        worker_id: str,
        lease_ms: int,
        models: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> Task | None:
        """Take a task whose lease expired, else the next fair one (tasks/fairness.py), into
        ``queuing`` (of ``models`` only, when given, and never of ``exclude``: the models
        whose engine is busy in this worker, worker/lanes.py). Each claim increments
        ``lease_token``, which fences a worker presumed dead that comes back."""
        ...

    async def start_generating(self, task_id: str, token: int, engine: str | None) -> bool:
        """``queuing`` → ``generating`` under the lease; False when the lease is lost."""
        ...

    async def set_engine(self, task_id: str, token: int, engine: str) -> bool:
        """Record the engine now running a generating task (a failover); False when the lease
        is lost."""
        ...

    async def heartbeat(
        self, task_id: str, token: int, lease_ms: int, progress: int | None = None
    ) -> Beat:
        """Extend the lease (and record progress): LOST (falsy) if another worker holds it
        now, CANCEL when the account asked for the task to stop (tasks/cancel.py)."""
        ...

    async def finish(self, task_id: str, token: int, outcome: Finish) -> Task | None:
        """End a claimed task: its final state, the refund of a failure (or a success's
        ``refund_milli``), the result files' rows and, when it has a callback URL, its callback
        row (tasks/outbox.py: the task, its surface and the account's balance after the
        refund), in one transaction; None when the lease token is stale."""
        ...

    async def release(self, task_id: str, token: int) -> bool:
        """Hand a claimed task back to ``waiting`` (a worker shutting down cleanly)."""
        ...

    async def release_leases(self, owner: str) -> list[str]:
        """Hand every task leased to ``owner`` back to ``waiting`` at once, each with a new
        lease token, and return their ids: a restarted worker's previous life, dead, left
        them claimed (worker/identity.py). Tasks of other owners are not touched."""
        ...

    async def count_by_state(self) -> dict[str, int]: ...

    async def ping(self) -> None:
        """Raise if the database does not answer (the health check)."""
        ...
