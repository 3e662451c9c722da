"""The file registry on PostgreSQL: ``registry.FileRegistry``'s operations for a fleet."""

from __future__ import annotations

from imagegate.storage.registry import StoredFile
from imagegate.tasks.postgres import PostgresDatabase
from imagegate.tasks.time import now_ms


class PgFileRegistry:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def add(self, file: StoredFile) -> None:
        """Record a file; recording the same key again (a retried task) replaces the row."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO files (key, account_id, kind, task_id, file_name, mime_type, size,"
                " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (key) DO UPDATE SET size = excluded.size,"
                " mime_type = excluded.mime_type, expires_at = excluded.expires_at",
                file.key, file.account_id, file.kind, file.task_id, file.file_name,
                file.mime_type, file.size, file.created_at, file.expires_at,
            )

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
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM files WHERE key = $1", key)
