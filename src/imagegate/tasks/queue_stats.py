"""What the queue holds right now, read at the moment it is asked (``/readyz``, ``/metrics``).

Only the live states are counted (waiting, queuing, generating): each is one partial index of
the tasks table (schema.py), so a count costs the size of the queue, not of the history. The
finished tasks are counted by the workers as they finish (``metrics.TASKS_FINISHED``): a count
of the whole table at every scrape would be a full scan, and would fall when retention deletes
old rows, which a Prometheus counter must never do.

``queuePosition`` (``QueueStats.position``, issue 22 point 2) is how many waiting tasks a
claim will take before this one, under the fair scheduler of tasks/fairness.py:

- A claim takes the smallest fair key; the account that owns it runs its most urgent task
  (priority higher first, then the oldest, then the id), which takes that key. So account A's
  waiting tasks, in that urgency order, run in A's waiting keys in ascending order: the task
  with ``r`` of A's tasks ahead of it (``r`` = A's waiting tasks of a higher priority, or the
  same priority and older) runs in A's ``r``-th smallest key, ``K``.
- Everything with a key below ``K`` is claimed first: A's ``r`` tasks ahead of it, and from
  each other account as many tasks as round-robin lets go first (those with keys below ``K``).

    queuePosition = COUNT(waiting tasks, of any account, with fair_key < K)

It is exact in the single-account case and for the queue as it stands; it is an estimate in
that later events move it: a task created later by an idle account takes a key near now and
may go ahead, a task whose lease expired is claimed before every waiting one, and a worker
serving only some models (or passing over a busy engine's) skips the others' tasks. Ties
between two accounts' equal keys count as behind. 0 means next to be claimed; None once the
task is claimed (queuing, generating) or finished. Cost: an index range count on the
account's waiting tasks (``ix_tasks_waiting_account``), one offset step on its keys
(``ix_tasks_waiting_account_fair``) and an index range count on the queue's keys below ``K``
(``ix_tasks_waiting_fair``), in one statement: the size of what is ahead, never the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """``counts[(state, model)]``: live tasks; ``oldest_waiting_ms[model]``: the create time of
    the model's oldest waiting task; ``now_ms``: when (on the database's clock) it was read."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_waiting_ms: dict[str, int] = field(default_factory=dict)
    now_ms: int = 0

    @property
    def waiting(self) -> int:
        """Tasks accepted and not yet claimed, every model together: the queue's depth."""
        return sum(n for (state, _), n in self.counts.items() if state == "waiting")

    def waiting_by_model(self) -> dict[str, int]:
        return {model: n for (state, model), n in self.counts.items() if state == "waiting"}

    def add(self, state: str, model: str, count: int, oldest: int) -> None:
        """Record one (state, model) count read from the database."""
        self.counts[(state, model)] = count
        if state == "waiting":
            self.oldest_waiting_ms[model] = oldest


class QueueStats(Protocol):
    """Reads the live queue (db/sqlite/queue_stats.py, db/postgres/queue_stats.py)."""

    async def snapshot(self) -> QueueSnapshot: ...

    async def position(self, task_id: str) -> int | None:
        """The waiting task's queuePosition (the module's docstring); None when the task is
        not waiting (claimed, finished or unknown)."""
        ...
