"""The file registry (tasks/files.py) on PostgreSQL, for a fleet."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.db.postgres.database import PostgresDatabase, numbered
from imagegate.db.sqlite.files import SQL_UPSERT_FILE
from imagegate.tasks.files import StoredFile

PG_UPSERT_FILE = numbered(SQL_UPSERT_FILE)


class PgFileRegistry:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def add(self, file: StoredFile) -> None:
        """Record a file; recording the same key again (a retried task) replaces the row."""
        await self.db.execute(PG_UPSERT_FILE, *file.values())

    async def get(self, key: str) -> StoredFile | None:
        row = await self.db.fetchrow("SELECT * FROM files WHERE key = $1", key)
        return StoredFile.from_row(row) if row else None

    async def expired(self, limit: int = 500, now: int | None = None) -> list[StoredFile]:
        rows = await self.db.fetch(
            "SELECT * FROM files WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
            now if now is not None else now_ms(), limit,
        )
        return [StoredFile.from_row(r) for r in rows]

    async def remove(self, key: str) -> None:
        await self.db.execute("DELETE FROM files WHERE key = $1", key)
