"""The workers registry: which worker processes are alive, what they serve, when last seen.

Each worker process (the embedded worker of ``imagegate serve``, each ``imagegate worker``)
upserts its row every few seconds (``worker/presence.py``) and deletes it on a clean exit; a
row whose ``seen_at`` is old is a process that died. ``/readyz`` reads it to tell whether any
worker is there to run the queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol


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
        """The row's values in the registry's upsert order."""
        models = None if self.models is None else json.dumps(list(self.models))
        return (self.id, self.host, self.pid, models, self.concurrency, self.started_at,
                self.seen_at)



class Workers(Protocol):
    """The registry's rows (db/sqlite/workers.py, db/postgres/workers.py)."""

    async def beat(self, worker: WorkerRow) -> None:
        """Record that ``worker`` is alive now (its first beat inserts the row)."""
        ...

    async def remove(self, worker_id: str) -> None: ...

    async def seen_since(self, since_ms: int) -> list[WorkerRow]:
        """The workers that beat at or after ``since_ms`` (epoch ms), oldest first."""
        ...

    async def now_ms(self) -> int:
        """The clock ``seen_at`` is written on."""
        ...


# A worker counts as alive while its last beat is at most this many intervals old: one late
# beat (a busy database, a GC pause) does not make the fleet look empty.
STALE_AFTER_BEATS = 3


async def live_workers(workers: Workers, interval: float) -> list[WorkerRow]:
    """The workers that beat recently and serve some model."""
    since = await workers.now_ms() - int(STALE_AFTER_BEATS * interval * 1000)
    return [row for row in await workers.seen_since(since) if row.serves_models]
