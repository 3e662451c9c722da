"""The live queue's counts (tasks/queue_stats.py) on SQLite, and the SQL both databases share."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.queue_stats import QueueSnapshot

# Each live state in its own query so that each uses its partial index (an IN list would not).
LIVE_STATES = ("waiting", "queuing", "generating")
SQL_COUNT = (
    "SELECT model, COUNT(*) AS n, MIN(create_time) AS oldest FROM tasks WHERE state = '{}'"
    " GROUP BY model"
)



class SqliteQueueStats:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def snapshot(self) -> QueueSnapshot:
        snapshot = QueueSnapshot(now_ms=now_ms())
        for state in LIVE_STATES:
            for row in self.db.conn.execute(SQL_COUNT.format(state)).fetchall():
                snapshot.add(state, str(row["model"]), int(row["n"]), int(row["oldest"]))
        return snapshot
