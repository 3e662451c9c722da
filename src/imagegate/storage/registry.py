"""The file registry: which blobs imagegate serves, whose they are, and when they expire.

A row is written for every upload and every result; the janitor deletes the rows (and blobs)
whose time has passed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from imagegate.tasks.sqlite import SqliteDatabase
from imagegate.tasks.time import now_ms


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    account_id: str | None
    kind: str  # upload | result
    task_id: str | None
    file_name: str
    mime_type: str
    size: int
    created_at: int
    expires_at: int

    @classmethod
    def from_row(cls, row: Any) -> StoredFile:
        return cls(**{name: row[name] for name in cls.__slots__})

    def values(self) -> tuple[Any, ...]:
        """The row's values in ``SQL_UPSERT_FILE``'s order."""
        return (self.key, self.account_id, self.kind, self.task_id, self.file_name,
                self.mime_type, self.size, self.created_at, self.expires_at)


# Recording the same key again (a retried task) replaces the row. SQLite's placeholders; the
# PostgreSQL registry numbers them.
SQL_UPSERT_FILE = (
    "INSERT INTO files (key, account_id, kind, task_id, file_name, mime_type, size,"
    " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET size = excluded.size,"
    " mime_type = excluded.mime_type, expires_at = excluded.expires_at"
)


class FileRegistry:
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
