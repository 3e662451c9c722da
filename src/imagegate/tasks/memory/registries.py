"""The in-memory registries beside the tasks: the files imagegate serves (tasks/files.py's
``FileRegistry``) and the worker processes alive (tasks/workers_registry.py's ``Workers``)."""

from __future__ import annotations

from dataclasses import replace

from imagegate.clock import now_ms
from imagegate.tasks.files import StoredFile
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.workers_registry import WorkerRow


class MemoryFileRegistry:
    """Which blobs imagegate serves, whose they are and when they expire."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def add(self, file: StoredFile) -> None:
        """Record a file; recording the same key again (a retried task) replaces the row."""
        self.db.upsert_file(file)

    async def get(self, key: str) -> StoredFile | None:
        return self.db.files.get(key)

    async def expired(self, limit: int = 500, now: int | None = None) -> list[StoredFile]:
        """Up to ``limit`` rows whose expiry is at or before ``now``, soonest first."""
        when = now if now is not None else now_ms()
        due = [file for file in self.db.files.values() if file.expires_at <= when]
        return sorted(due, key=lambda file: file.expires_at)[:limit]

    async def remove(self, key: str) -> None:
        self.db.files.pop(key, None)


class MemoryWorkers:
    """The workers registry: one row per worker process, its ``seen_at`` on this clock."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def beat(self, worker: WorkerRow) -> None:
        """Record that ``worker`` is alive now (its first beat inserts the row; a later one
        changes only ``seen_at``)."""
        seen = now_ms()
        known = self.db.workers.get(worker.id)
        self.db.workers[worker.id] = replace(known or worker, seen_at=seen)

    async def remove(self, worker_id: str) -> None:
        self.db.workers.pop(worker_id, None)

    async def seen_since(self, since_ms: int) -> list[WorkerRow]:
        """The workers that beat at or after ``since_ms`` (epoch ms), oldest first."""
        alive = [row for row in self.db.workers.values() if row.seen_at >= since_ms]
        return sorted(alive, key=lambda row: row.started_at)

    async def now_ms(self) -> int:
        """The clock ``seen_at`` is written on (this process's)."""
        return now_ms()
