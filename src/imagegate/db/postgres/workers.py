"""The workers registry (tasks/workers_registry.py) on PostgreSQL."""

from __future__ import annotations

from imagegate.db.postgres.database import PostgresDatabase
from imagegate.tasks.workers_registry import WorkerRow


class PgWorkers:
    """On PostgreSQL ``seen_at`` is the database's clock, as leases are (db/postgres/tasks.py):
    workers on several machines agree on it, not on theirs."""

    _NOW = "(extract(epoch from now()) * 1000)::bigint"

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def beat(self, worker: WorkerRow) -> None:
        await self.db.execute(
            "INSERT INTO workers (id, host, pid, models, concurrency, started_at, seen_at)"
            f" VALUES ($1, $2, $3, $4, $5, $6, {self._NOW})"
            " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            *worker.values()[:-1],
        )

    async def remove(self, worker_id: str) -> None:
        await self.db.execute("DELETE FROM workers WHERE id = $1", worker_id)

    async def seen_since(self, since_ms: int) -> list[WorkerRow]:
        rows = await self.db.fetch(
            "SELECT * FROM workers WHERE seen_at >= $1 ORDER BY started_at", since_ms
        )
        return [WorkerRow.from_row(r) for r in rows]

    async def now_ms(self) -> int:
        row = await self.db.fetchrow(f"SELECT {self._NOW} AS now")
        return int(row["now"])
