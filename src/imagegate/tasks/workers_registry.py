"""The workers registry: which worker processes are alive, what they serve, when last seen.

Each worker process (the embedded worker of ``imagegate serve``, each ``imagegate worker``)
upserts its row every few seconds (``worker/presence.py``) and deletes it on a clean exit; a
row whose ``seen_at`` is old is a process that died. ``/readyz`` reads it to tell whether any
worker is there to run the queue. One class per database, as ``storage/registry.py`` and
``storage/pg_registry.py`` are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imagegate.tasks.postgres import PostgresDatabase
from imagegate.tasks.sqlite import SqliteDatabase
from imagegate.tasks.time import now_ms


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """One worker process: ``models`` None means it serves every model."""

    id: str
    host: str
    pid: int
    models: tuple[str, ...] | None
    concurrency: int
    started_at: int
    seen_at: int

    @classmethod
    def from_row(cls, row: Any) -> WorkerRow:
        models = row["models"]
        return cls(
            id=row["id"], host=row["host"], pid=int(row["pid"]),
            models=None if models is None else tuple(json.loads(models)),
            concurrency=int(row["concurrency"]), started_at=int(row["started_at"]),
            seen_at=int(row["seen_at"]),
        )

    @property
    def serves_models(self) -> bool:
        """Whether it can run anything at all (``--models`` with an empty list cannot)."""
        return (self.models is None or bool(self.models)) and self.concurrency > 0

    def values(self) -> tuple[Any, ...]:
        """The row's values in ``_UPSERT``'s order."""
        models = None if self.models is None else json.dumps(list(self.models))
        return (self.id, self.host, self.pid, models, self.concurrency, self.started_at,
                self.seen_at)


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


class PgWorkers:
    """On PostgreSQL ``seen_at`` is the database's clock, as leases are (tasks/pg_store.py):
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


Workers = SqliteWorkers | PgWorkers


def open_workers(db: SqliteDatabase | PostgresDatabase) -> Workers:
    """The registry over the runtime's database, whichever it is."""
    return SqliteWorkers(db) if isinstance(db, SqliteDatabase) else PgWorkers(db)
