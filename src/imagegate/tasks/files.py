"""The file registry's rows and protocol: which blobs imagegate serves, whose they are, and
when they expire.

A row is written for every upload and every result; the janitor (worker/janitor.py) deletes the
rows (and blobs) whose time has passed. db/sqlite/files.py and db/postgres/files.py keep them;
the blobs themselves are storage/'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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



class FileRegistry(Protocol):
    """Where the rows live (one implementation per database, and one in memory)."""

    async def add(self, file: StoredFile) -> None:
        """Record a file; recording the same key again (a retried task) replaces the row."""
        ...

    async def get(self, key: str) -> StoredFile | None: ...

    async def expired(self, limit: int = 500, now: int | None = None) -> list[StoredFile]:
        """Up to ``limit`` rows whose expiry is at or before ``now``, soonest first."""
        ...

    async def remove(self, key: str) -> None: ...
