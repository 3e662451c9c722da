"""The live queue's counts (tasks/queue_stats.py) on PostgreSQL, on the database's clock."""

from __future__ import annotations

from imagegate.db.postgres.database import PostgresDatabase
from imagegate.db.sqlite.queue_stats import LIVE_STATES, SQL_COUNT, SQL_POSITION
from imagegate.tasks.queue_stats import QueueSnapshot

PG_POSITION = SQL_POSITION.format(p="$1", by_urgency="", by_key="")


class PgQueueStats:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def snapshot(self) -> QueueSnapshot:
        async with self.db.pool.acquire() as conn:
            now = await conn.fetchval("SELECT (extract(epoch from now()) * 1000)::bigint")
            snapshot = QueueSnapshot(now_ms=int(now))
            for state in LIVE_STATES:
                for row in await conn.fetch(SQL_COUNT.format(state)):
                    snapshot.add(state, str(row["model"]), int(row["n"]), int(row["oldest"]))
        return snapshot

    async def position(self, task_id: str) -> int | None:
        async with self.db.pool.acquire() as conn:
            row = await conn.fetchrow(PG_POSITION, task_id)
        return None if row is None else int(row[0])
