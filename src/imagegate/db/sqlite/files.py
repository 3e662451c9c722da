"""The file registry (tasks/files.py) on SQLite."""

from __future__ import annotations

import sqlite3

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.files import StoredFile

# Recording the same key again (a retried task) replaces the row. SQLite's placeholders; the
# PostgreSQL registry numbers them.
SQL_UPSERT_FILE = (
    "INSERT INTO files (key, account_id, kind, task_id, file_name, mime_type, size,"
    " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET size = excluded.size,"
    " mime_type = excluded.mime_type, expires_at = excluded.expires_at"
)


class SqliteFileRegistry:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def add(self, file: StoredFile) -> None:
        """Record a file; recording the same key again (a retried task) replaces the row."""

        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(SQL_UPSERT_FILE, file.values())

        await self.db.write(tx)

    async def get(self, key: str) -> StoredFile | None:
        row = self.db.conn.execute("SELECT * FROM files WHERE key = ?", (key,)).fetchone()
        return StoredFile.from_row(row) if row else None

    async def expired(self, limit: int = 500, now: int | None = None) -> list[StoredFile]:
        rows = self.db.conn.execute(
            "SELECT * FROM files WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
            (now if now is not None else now_ms(), limit),
        ).fetchall()
        return [StoredFile.from_row(r) for r in rows]

    async def remove(self, key: str) -> None:
        await self.db.write(lambda conn: conn.execute("DELETE FROM files WHERE key = ?", (key,)))
