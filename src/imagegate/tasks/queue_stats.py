"""What the queue holds right now, read at the moment it is asked (``/readyz``, ``/metrics``).

Only the live states are counted (waiting, queuing, generating): each is one partial index of
the tasks table (schema.py), so a count costs the size of the queue, not of the history. The
finished tasks are counted by the workers as they finish (``metrics.TASKS_FINISHED``): a count
of the whole table at every scrape would be a full scan, and would fall when retention deletes
old rows, which a Prometheus counter must never do.
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
