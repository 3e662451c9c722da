"""``Cancel-After`` (issue 22 point 3): a task not finished by its deadline is cancelled.

The create request's header sets ``tasks.cancel_at``. A sweep (worker/deadlines.py, every
``deadline_interval_seconds`` in every process that runs the background parts) takes the live
tasks past it and cancels each through the one cancel path (tasks/cancel.py), so the outcome is
exactly a cancelTask's, with failCode ``CANCELED`` and failMsg ``DEADLINE_MSG``:

- not yet running (``waiting``, ``queuing``): it ends at once, ``fail``, refunded in full in the
  same transaction as its end (the ledger's debit and refund net to zero: never charged), its
  callback queued;
- ``generating``: ``cancel_requested`` is set and its worker stops the engine at its next step,
  then ends it the same way (refunded), the message naming the deadline.

A deadline is honoured within about one sweep interval (1 s by default). Two processes
sweeping the same task is harmless: the second finds it ended (or already asked to stop).
"""

from __future__ import annotations

import logging
from typing import Protocol

from imagegate.errors import ApiError
from imagegate.tasks.cancel import DEADLINE_MSG
from imagegate.tasks.events import EventSink
from imagegate.tasks.lifecycle import Lifecycle

log = logging.getLogger(__name__)

# Tasks taken per query; a sweep keeps taking batches until none are due.
BATCH = 200


class DeadlineStore(Protocol):
    """The live tasks past their deadline (db/sqlite/tasks.py, db/postgres/tasks.py, memory)."""

    async def overdue(self, now: int, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` ``(task id, account id)`` of the waiting, queuing and generating
        tasks whose ``cancel_at`` is at or before ``now`` and not yet asked to stop, the
        earliest deadline first."""
        ...


async def enforce(store: DeadlineStore, lifecycle: Lifecycle, events: EventSink, now: int) -> int:
    """Cancel every task past its deadline at ``now`` (the module's docstring); how many."""
    done = 0
    seen: set[str] = set()
    while True:
        due = [(task, account) for task, account in await store.overdue(now, BATCH)
               if task not in seen]
        if not due:
            return done
        for task_id, account_id in due:
            seen.add(task_id)
            try:
                cancelled = await lifecycle.cancel(account_id, task_id, DEADLINE_MSG)
            except ApiError:
                continue  # it ended meanwhile (or another sweep got there first)
            events.publish(cancelled.events)
            done += 1
