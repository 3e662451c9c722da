"""The in-memory backend's one store object: tasks (``TaskStore``, ``CancelStore``,
``TaskRows``), and from accounts/memory.py accounts and their ledger, plus usage
(``UsageGroups``) and the meta rows (``MetaStore``): backend.py's ``Store``, on a
``MemoryDatabase``.

Each method is one step over the rows, never awaiting inside, so it is atomic as a transaction
is; the rules are those of tasks/state.py, enforced as the SQLite store's conditional UPDATEs
enforce them: a move from the wrong state or under a stale lease token changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from imagegate.accounts.memory import MemoryAccounts
from imagegate.clock import now_ms
from imagegate.tasks.cancel import CANCELED_MSG, Cancelled
from imagegate.tasks.listing import TaskQuery
from imagegate.tasks.memory import ending, queue
from imagegate.tasks.memory.database import DAY_MS, MemoryDatabase
from imagegate.tasks.memory.rows import TaskRow
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import PROGRESS, TaskState, sources
from imagegate.tasks.store import Beat, Finish


class MemoryStore(MemoryAccounts):
    """Tasks, accounts, ledger, usage and meta rows on one ``MemoryDatabase``."""

    def __init__(self, db: MemoryDatabase) -> None:
        super().__init__(db)
        self.db = db

    # ----------------------------------------------------------------- tasks

    async def create_task(self, new: NewTask, key: IdempotencyKey | None = None) -> Task:
        """Debit the price and insert the task in one step (402 when short; 433 past a key's
        cap); with ``key``, a repeat gets the task the key made and nothing is debited, and a
        key of another request is refused (422)."""
        return queue.create(self.db, new, key, now_ms())

    async def keyed_task(self, account_id: str, key: IdempotencyKey) -> Task | None:
        """The task the account's live Idempotency-Key made for this same request; None when
        the key is unknown or past its window; 422 when it was used for another request."""
        task_id = queue.live_task_id(self.db, account_id, key, now_ms())
        return None if task_id is None else await self.get_task(task_id, account_id)

    async def forget_expired_keys(self, now: int | None = None) -> int:
        """Delete the Idempotency-Keys past their window; how many were deleted."""
        when = now if now is not None else now_ms()
        dead = [ident for ident, key in self.db.idempotency.items() if key.expires_ms <= when]
        for ident in dead:
            del self.db.idempotency[ident]
        return len(dead)

    async def get_task(self, task_id: str, account_id: str | None = None) -> Task | None:
        """The task, or None if unknown or (when ``account_id`` is given) another account's."""
        row = self.db.tasks.get(task_id)
        if row is None or (account_id is not None and row.account_id != account_id):
            return None
        return row.task()

    async def claim(
        self,
        worker_id: str,
        lease_ms: int,
        models: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> Task | None:
        """Take a task whose lease expired, else the next fair one (tasks/fairness.py), into
        ``queuing`` (of ``models`` only, when given, never of ``exclude``); each claim moves
        ``lease_token`` on."""
        return queue.claim(self.db, worker_id, lease_ms, models, now_ms(), exclude)

    def _held(self, task_id: str, token: int, states: Sequence[TaskState]) -> TaskRow | None:
        """The task if this lease token holds it in one of ``states``."""
        row = self.db.live.get(task_id)
        if row is None or row.lease_token != token or row.state not in states:
            return None
        return row

    async def start_generating(self, task_id: str, token: int, engine: str | None) -> bool:
        """``queuing`` → ``generating``; False if the lease was lost."""
        row = self._held(task_id, token, sources(TaskState.GENERATING))
        if row is None:
            return False
        row.state = TaskState.GENERATING
        row.progress = max(row.progress, PROGRESS[TaskState.GENERATING])
        row.engine = engine
        row.update_time = now_ms()
        return True

    async def set_engine(self, task_id: str, token: int, engine: str) -> bool:
        """Record the engine now working on a generating task; False if the lease was lost."""
        row = self._held(task_id, token, (TaskState.GENERATING,))
        if row is None:
            return False
        row.engine = engine
        row.update_time = now_ms()
        return True

    async def heartbeat(
        self, task_id: str, token: int, lease_ms: int, progress: int | None = None
    ) -> Beat:
        """Extend the lease (and record progress, which only moves forward): LOST (falsy) if
        another worker holds it now, CANCEL when the account asked for the task to stop."""
        row = self._held(task_id, token, (TaskState.QUEUING, TaskState.GENERATING))
        if row is None:
            return Beat.LOST
        now = now_ms()
        row.lease_expires_at = now + lease_ms
        row.update_time = now
        if progress is not None:
            row.progress = max(row.progress, progress)
        return Beat.CANCEL if row.cancel_requested else Beat.HELD

    async def finish(self, task_id: str, token: int, outcome: Finish) -> Task | None:
        """End a claimed task: its final state, the refund of a failure, the result files' rows
        and the callback row, in one step; None when the lease token is stale."""
        return ending.finish(self.db, task_id, token, outcome, now_ms())

    async def release(self, task_id: str, token: int) -> bool:
        """Hand a claimed task back to ``waiting`` (a worker shutting down cleanly)."""
        row = self._held(task_id, token, (TaskState.QUEUING, TaskState.GENERATING))
        if row is None:
            return False
        row.state = TaskState.WAITING
        row.progress = 0
        row.lease_owner = None
        row.lease_expires_at = None
        row.update_time = now_ms()
        return True

    async def release_leases(self, owner: str) -> list[str]:
        """Hand every task leased to ``owner`` back to ``waiting``, each with a new token."""
        released: list[str] = []
        now = now_ms()
        for row in self.db.tasks.values():
            if row.lease_owner == owner and row.state.is_claimed:
                row.state = TaskState.WAITING
                row.progress = 0
                row.lease_owner = None
                row.lease_expires_at = None
                row.lease_token += 1
                row.update_time = now
                released.append(row.id)
        return released

    async def cancel(
        self, account_id: str, task_id: str, msg: str = CANCELED_MSG
    ) -> Cancelled | None:
        """tasks/cancel.py's two moves in one step; None when neither applies."""
        return ending.cancel(self.db, account_id, task_id, now_ms(), msg)

    async def overdue(self, now: int, limit: int) -> list[tuple[str, str]]:
        """The live tasks past their Cancel-After deadline (tasks/deadlines.py)."""
        due = sorted(
            (row for row in self.db.live.values()
             if row.cancel_at is not None and row.cancel_at <= now and not row.cancel_requested),
            key=lambda row: row.cancel_at or 0,
        )
        return [(row.id, row.account_id) for row in due[:limit]]

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        """Up to ``query.limit + 1`` of the account's tasks, newest first (tasks/listing.py)."""
        rows = [row for row in self.db.tasks.values() if _listed(row, query)]
        rows.sort(key=lambda row: (row.create_time, row.id), reverse=True)
        return [row.task() for row in rows[: query.limit + 1]]

    async def count_by_state(self) -> dict[str, int]:
        return dict(Counter(row.state.value for row in self.db.tasks.values()))

    async def ping(self) -> None:
        """Memory always answers (the health check)."""

    # ----------------------------------------------------------------- usage

    async def usage_groups(
        self, account_id: str, created_from: int, created_to: int
    ) -> list[tuple[Any, ...]]:
        """(day, model, tasks, succeeded, failed, credits) of the live tasks and of
        ``usage_days`` (accounts/usage.py adds them up)."""
        groups: dict[tuple[int, str], list[int]] = {}
        for row in self.db.tasks.values():
            if row.account_id == account_id and created_from <= row.create_time < created_to:
                into = groups.setdefault(
                    ((row.create_time // DAY_MS) * DAY_MS, row.model), [0, 0, 0, 0]
                )
                failed = row.state is TaskState.FAIL
                into[0] += 1
                into[1] += row.state is TaskState.SUCCESS
                into[2] += failed
                into[3] += 0 if failed else row.price_milli
        folded = [
            (day, model, *totals)
            for (account, day, model), totals in self.db.usage_days.items()
            if account == account_id and created_from <= day < created_to
        ]
        return [(day, model, *totals) for (day, model), totals in groups.items()] + folded

    # ----------------------------------------------------------------- meta

    async def get_meta(self, key: str) -> str | None:
        return self.db.meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self.db.meta[key] = value

    async def swap_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Set ``key`` to ``value`` only if it still holds ``expected`` (None: no row yet)."""
        if self.db.meta.get(key) != expected:
            return False
        self.db.meta[key] = value
        return True


def _listed(row: TaskRow, query: TaskQuery) -> bool:
    """Whether the task is on the account's list as ``query`` filters it (db/queries.py)."""
    if row.account_id != query.account_id:
        return False
    if query.states and row.state.value not in query.states:
        return False
    if query.model is not None and row.model != query.model:
        return False
    if query.created_from is not None and row.create_time < query.created_from:
        return False
    if query.created_to is not None and row.create_time >= query.created_to:
        return False
    if query.cursor is not None:
        created, task_id = query.cursor
        return (row.create_time, row.id) < (created, task_id)
    return True
