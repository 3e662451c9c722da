"""The dashboard's reads (tasks/overview.py) on PostgreSQL: db/sqlite/overview.py's SQL."""

from __future__ import annotations

from imagegate.db.postgres.database import PostgresDatabase
from imagegate.db.sqlite.overview import (
    SQL_DEAD,
    SQL_FAILURES,
    SQL_RETRYING,
    SQL_WINDOW,
    callback_of,
    failure_of,
    window_of,
)
from imagegate.tasks.overview import CallbackFailure, ModelWindow, RecentFailure, id_floor


class PgOverview:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def window(self, since_ms: int) -> list[ModelWindow]:
        async with self.db.pool.acquire() as conn:
            rows = await conn.fetch(SQL_WINDOW.format("$1"), id_floor(since_ms))
        return [window_of(r) for r in rows]

    async def failures(self, since_ms: int, limit: int) -> list[RecentFailure]:
        async with self.db.pool.acquire() as conn:
            rows = await conn.fetch(SQL_FAILURES.format("$1", "$2"), id_floor(since_ms), limit)
        return [failure_of(r) for r in rows]

    async def callback_failures(self, limit: int) -> list[CallbackFailure]:
        async with self.db.pool.acquire() as conn:
            rows = [
                *await conn.fetch(SQL_DEAD.format("$1"), limit),
                *await conn.fetch(SQL_RETRYING.format("$1"), limit),
            ]
        return [callback_of(r) for r in rows[:limit]]
