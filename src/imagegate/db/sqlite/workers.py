"""The workers registry (tasks/workers_registry.py) on SQLite."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.workers_registry import WorkerRow

# seen_at is the only column a beat changes; the rest were set by the first beat.
_UPSERT = (
    "INSERT INTO workers (id, host, pid, models, concurrency, started_at, seen_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at"
)



class SqliteWorkers:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def beat(self, worker: WorkerRow) -> None:
        """Record that ``worker`` is alive now (its first beat inserts the row)."""
        values = (*worker.values()[:-1], now_ms())
        await self.db.write(lambda conn: conn.execute(_UPSERT, values))

    async def remove(self, worker_id: str) -> None:
        await self.db.write(lambda conn: conn.execute(
            "DELETE FROM workers WHERE id = ?", (worker_id,)
        ))

    async def seen_since(self, since_ms: int) -> list[WorkerRow]:
        """The workers that beat at or after ``since_ms`` (epoch ms), oldest first."""
        rows = self.db.conn.execute(
            "SELECT * FROM workers WHERE seen_at >= ? ORDER BY started_at", (since_ms,)
        ).fetchall()
        return [WorkerRow.from_row(r) for r in rows]

    async def now_ms(self) -> int:
        """The clock ``seen_at`` is written on (this machine's: SQLite is one machine)."""
        return now_ms()
