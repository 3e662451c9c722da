"""``cancelTask``: end a task the account no longer wants.

A task not yet running (``waiting``, or ``queuing``: claimed, inputs being fetched) ends at
once: ``fail`` with failCode ``CANCELED`` (a state every Kie client knows), refunded, its
callback queued, in one transaction. The lease token moves on, so the worker that claimed it
finds its lease gone at its next write and leaves the task alone.

A ``generating`` task is cancelled cooperatively: ``cancel_requested`` is set, and the worker
running it learns at once (the in-process call, or NOTIFY on ``imagegate_cancel`` on
PostgreSQL) or at its next heartbeat, stops its engine at the engine's next step, and finishes
the task the same way. A finished task is not changed: the caller gets a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from imagegate.errors import NotFound, ValidationFailed
from imagegate.tasks.model import Task
from imagegate.tasks.state import TERMINAL_STATES

CANCELED = "CANCELED"
CANCELED_MSG = "Canceled by the user (cancelTask)"
# A task its request's ``Cancel-After`` deadline ended (tasks/deadlines.py): the same failCode,
# so every client that knows a cancel knows this one; the message says why.
DEADLINE_MSG = "Canceled: not finished by its Cancel-After deadline"
# Announces a cancel request of a running task ("task id"), to whichever worker runs it.
CANCEL_CHANNEL = "imagegate_cancel"


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The task after the request; ``ended`` when it is over now, not when its engine stops."""

    task: Task
    ended: bool


class CancelStore(Protocol):
    """The store's part in a cancel (db/sqlite/tasks.py, db/postgres/tasks.py): both moves in
    one transaction, None when neither applies."""

    async def cancel(
        self, account_id: str, task_id: str, msg: str = CANCELED_MSG
    ) -> Cancelled | None:
        """``msg``: the failMsg of a task ended now (a generating one's is its worker's)."""
        ...

    async def get_task(self, task_id: str, account_id: str | None = None) -> Task | None: ...


async def cancel_task(
    store: CancelStore, account_id: str, task_id: str, msg: str = CANCELED_MSG
) -> Cancelled:
    """Cancel the account's task (the module's docstring says how), or refuse: 404, 422."""
    done = await store.cancel(account_id, task_id, msg)
    return done if done is not None else await _refuse(store, account_id, task_id)


async def _refuse(store: CancelStore, account_id: str, task_id: str) -> Cancelled:
    """Nothing to cancel: 404 for a task the account does not have, 422 for a finished one
    (a cancel never changes a finished task), the record unchanged."""
    task = await store.get_task(task_id, account_id)
    if task is None:
        raise NotFound(f"Task not found: {task_id}")
    if task.state in TERMINAL_STATES:
        raise ValidationFailed(
            "taskId",
            f"task {task_id} has already finished ({task.state.value}); there is nothing to"
            " cancel",
        )
    # Raced with a state change between the two updates: the caller may simply ask again.
    raise ValidationFailed("taskId", f"task {task_id} changed state; send cancelTask again")
