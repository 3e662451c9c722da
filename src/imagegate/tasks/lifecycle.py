"""Every transition of a task, written once: create, claim, start, beat (lease and progress),
succeed, fail, cancel and release, over the store protocols.

    create ──▶ waiting ──claim──▶ queuing ──start──▶ generating ──succeed──▶ success
                 │                   │                    │
                 └───────cancel──────┴────────fail────────┴─────────────────▶ fail (refunded)

The rules of each move are tasks/state.py's; the store (tasks/store.py) makes each one
transaction and refuses a move from the wrong state or under a stale lease token, so a worker
presumed dead that comes back changes nothing. A terminal move writes the task's callback row in
that same transaction, and a failure (a cancel included) refunds its price there, once. What
must happen after the commit is returned as events (tasks/events.py), never done here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from imagegate.clock import now_ms
from imagegate.errors import TaskError
from imagegate.tasks.cancel import (
    CANCELED,
    CANCELED_MSG,
    DEADLINE_MSG,
    Cancelled,
    CancelStore,
    cancel_task,
)
from imagegate.tasks.events import (
    CallbackQueued,
    CancelRequested,
    Event,
    TaskChanged,
    TaskCreated,
    TaskEnded,
)
from imagegate.tasks.files import StoredFile
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Beat, Finish, TaskStore
from imagegate.wire.task_view import result_files_json


class LifecycleStore(TaskStore, CancelStore, Protocol):
    """The store the lifecycle moves tasks in."""


@dataclass(frozen=True, slots=True)
class Created:
    """A create's task; ``made`` False when an Idempotency-Key's earlier request made it."""

    task: Task
    made: bool
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Ended:
    """A claimed task after its final move."""

    task: Task
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Cancel:
    """A cancel's outcome: ``ended`` when the task is over now (it had not started), else the
    request waits for the worker running it."""

    task: Task
    ended: bool
    events: tuple[Event, ...]


class Lifecycle:
    """The transitions over one store. A terminal move's callback row names the task, its
    surface and the balance after it; the sender renders the body when it sends it."""

    def __init__(self, store: LifecycleStore) -> None:
        self.store = store

    async def create(self, new: NewTask, key: IdempotencyKey | None = None) -> Created:
        """Debit, ledger row, the Idempotency-Key (when given) and the ``waiting`` task in one
        transaction (402 when the balance is short, 433 past a key's cap). A repeat of a keyed
        request gets the task its first made, with nothing debited and nothing to announce."""
        task = await self.store.create_task(new, key)
        made = task.id == new.id
        return Created(task, made, (TaskCreated(task),) if made else ())

    async def claim(
        self,
        worker_id: str,
        lease_ms: int,
        models: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> Task | None:
        """``waiting`` (or a task whose lease expired) → ``queuing``, leased to the worker;
        of ``models`` only when given, never of ``exclude``."""
        return await self.store.claim(worker_id, lease_ms, models, exclude)

    async def start(self, task: Task, engine: str | None) -> bool:
        """``queuing`` → ``generating``, naming the engine; False when the lease is lost."""
        return await self.store.start_generating(task.id, task.lease_token, engine)

    async def switch_engine(self, task: Task, engine: str) -> bool:
        """A generating task failed over to ``engine``; False when the lease is lost."""
        return await self.store.set_engine(task.id, task.lease_token, engine)

    async def beat(self, task: Task, lease_ms: int, progress: int | None = None) -> Beat:
        """Extend the lease and record progress (which only moves forward)."""
        return await self.store.heartbeat(task.id, task.lease_token, lease_ms, progress)

    async def succeed(
        self, task: Task, *, engine: str | None, files: tuple[StoredFile, ...],
        cost_milli: int | None = None,
    ) -> Ended | None:
        """→ ``success`` with its result files' rows; None when the lease is lost.

        ``cost_milli``: what the task turned out to cost, when its price at create was a hold
        (a pass-through route priced by the upstream's report): the rest of the hold is given
        back in the same step. Never more than the hold is charged, and never twice."""
        result = result_files_json([(f.key, f.expires_at) for f in files])
        refund = 0
        if cost_milli is not None:
            refund = task.price_milli - min(max(cost_milli, 0), task.price_milli)
        return await self._end(task, Finish(
            TaskState.SUCCESS, result_json=result, engine=engine, files=files,
            refund_milli=refund,
        ))

    async def fail(
        self, task: Task, code: str, msg: str, engine: str | None = None
    ) -> Ended | None:
        """→ ``fail`` with failCode/failMsg, refunded; None when the lease is lost."""
        return await self._end(
            task, Finish(TaskState.FAIL, fail_code=code, fail_msg=msg, engine=engine)
        )

    async def fail_with(
        self, task: Task, error: TaskError, engine: str | None = None
    ) -> Ended | None:
        """→ ``fail`` as ``error`` says (a task failure is data, not an exception)."""
        return await self.fail(task, error.fail_code, error.msg, engine)

    async def cancelled(self, task: Task) -> Ended | None:
        """A generating task its account cancelled, stopped by its worker: → ``fail`` as
        CANCELED, refunded (the message says so when its Cancel-After deadline passed)."""
        overdue = task.cancel_at is not None and now_ms() >= task.cancel_at
        return await self.fail(task, CANCELED, DEADLINE_MSG if overdue else CANCELED_MSG)

    async def cancel(
        self, account_id: str, task_id: str, msg: str = CANCELED_MSG
    ) -> Cancel:
        """cancelTask: a task not yet running ends now (refunded, its callback queued); a
        generating one is asked to stop. 404 for a task the account does not have, 422 for a
        finished one. ``msg``: the failMsg of a task ended now (tasks/deadlines.py's own)."""
        done: Cancelled = await cancel_task(self.store, account_id, task_id, msg)
        if not done.ended:
            return Cancel(done.task, False, (CancelRequested(done.task.id),))
        queued = (CallbackQueued(done.task.id),) if done.task.notifies("completed") else ()
        return Cancel(done.task, True, (TaskChanged(done.task.id), *queued))

    async def release(self, task: Task) -> bool:
        """A claimed task handed back to ``waiting`` (its worker shuts down cleanly)."""
        return await self.store.release(task.id, task.lease_token)

    async def recover(self, worker_id: str) -> list[str]:
        """The tasks a previous life of ``worker_id`` left claimed, handed back to
        ``waiting`` at once (its restart found them: worker/identity.py) instead of after
        their leases expire; their ids. The new lease tokens fence out any write of the old
        life."""
        return await self.store.release_leases(worker_id)

    async def _end(self, task: Task, outcome: Finish) -> Ended | None:
        finished = await self.store.finish(task.id, task.lease_token, outcome)
        if finished is None:
            return None
        events: tuple[Event, ...] = (TaskEnded(task, finished),)
        if finished.notifies("completed"):
            events += (CallbackQueued(finished.id),)
        return Ended(finished, events)
