"""What the queue holds right now, read at the moment it is asked (``/readyz``, ``/metrics``).

Only the live states are counted (waiting, queuing, generating): each is one partial index of
the tasks table (schema.py), so a count costs the size of the queue, not of the history. The
finished tasks are counted by the workers as they finish (``metrics.TASKS_FINISHED``): a count
of the whole table at every scrape would be a full scan, and would fall when retention deletes
old rows, which a Prometheus counter must never do. One class per database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imagegate.tasks.postgres import PostgresDatabase
from imagegate.tasks.sqlite import SqliteDatabase
from imagegate.tasks.time import now_ms

# Each live state in its own query so that each uses its partial index (an IN list would not).
_LIVE_STATES = ("waiting", "queuing", "generating")
_COUNT = "SELECT model, COUNT(*) AS n, MIN(create_time) AS oldest FROM tasks WHERE state = '{}'" \
    " GROUP BY model"


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


class SqliteQueueStats:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def snapshot(self) -> QueueSnapshot:
        snapshot = QueueSnapshot(now_ms=now_ms())
        for state in _LIVE_STATES:
            for row in self.db.conn.execute(_COUNT.format(state)).fetchall():
                _add(snapshot, state, str(row["model"]), int(row["n"]), int(row["oldest"]))
        return snapshot


class PgQueueStats:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def snapshot(self) -> QueueSnapshot:
        async with self.db.pool.acquire() as conn:
            now = await conn.fetchval("SELECT (extract(epoch from now()) * 1000)::bigint")
            snapshot = QueueSnapshot(now_ms=int(now))
            for state in _LIVE_STATES:
                for row in await conn.fetch(_COUNT.format(state)):
                    _add(snapshot, state, str(row["model"]), int(row["n"]), int(row["oldest"]))
        return snapshot


def _add(snapshot: QueueSnapshot, state: str, model: str, count: int, oldest: int) -> None:
    snapshot.counts[(state, model)] = count
    if state == "waiting":
        snapshot.oldest_waiting_ms[model] = oldest


QueueStats = SqliteQueueStats | PgQueueStats


def open_queue_stats(db: SqliteDatabase | PostgresDatabase) -> QueueStats:
    return SqliteQueueStats(db) if isinstance(db, SqliteDatabase) else PgQueueStats(db)
