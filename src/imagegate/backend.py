"""Where the runtime keeps its rows: SQLite (the embedded topology) or PostgreSQL (scale-out).

Both give the same parts, each typed by its protocol (tasks/, accounts/, callbacks/, storage/),
with the same operations and guarantees; ``database_url`` picks one. This module and
runtime.py are the only places that name a backend: everything else sees the protocols.
SQLite opens synchronously (the embedded server is ready before its event loop runs);
PostgreSQL opens on the event loop that will use its pool. ``open_memory`` gives the same parts
on in-memory rows (tasks/memory/), for tests that need stores but no database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from imagegate.accounts.memory import MemoryApiKeys
from imagegate.accounts.store import AccountStore, ApiKeyStore
from imagegate.accounts.usage import UsageGroups
from imagegate.db.signals import is_postgres_url
from imagegate.db.sqlite.api_keys import SqliteApiKeys
from imagegate.db.sqlite.database import SqliteDatabase, sqlite_path_from_url
from imagegate.db.sqlite.files import SqliteFileRegistry
from imagegate.db.sqlite.outbox import SqliteOutbox
from imagegate.db.sqlite.overview import SqliteOverview
from imagegate.db.sqlite.queue_stats import SqliteQueueStats
from imagegate.db.sqlite.retention import SqliteTaskRetention
from imagegate.db.sqlite.tasks import SqliteStore
from imagegate.db.sqlite.workers import SqliteWorkers
from imagegate.tasks.cancel import CancelStore
from imagegate.tasks.deadlines import DeadlineStore
from imagegate.tasks.files import FileRegistry
from imagegate.tasks.listing import TaskRows
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.memory.outbox import MemoryOutbox
from imagegate.tasks.memory.reads import MemoryOverview, MemoryQueueStats
from imagegate.tasks.memory.registries import MemoryFileRegistry, MemoryWorkers
from imagegate.tasks.memory.retention import MemoryTaskRetention
from imagegate.tasks.memory.store import MemoryStore
from imagegate.tasks.outbox import Outbox
from imagegate.tasks.overview import Overview
from imagegate.tasks.queue_stats import QueueStats
from imagegate.tasks.retention import TaskRetention
from imagegate.tasks.store import TaskStore
from imagegate.tasks.switches import MetaStore
from imagegate.tasks.workers_registry import Workers

if TYPE_CHECKING:
    from imagegate.db.postgres.database import PostgresDatabase


class Store(
    TaskStore, TaskRows, CancelStore, DeadlineStore, AccountStore, UsageGroups, MetaStore,
    Protocol,
):
    """The one store object of a backend: tasks, accounts and meta rows on one database."""


class Signals(Protocol):
    """How the processes sharing a database tell each other things (a task to claim, a
    cancel, an upstream's callback): the dialect's one difference the runtime wires, never
    an ``isinstance``. PostgreSQL: LISTEN/NOTIFY; SQLite: nothing crosses processes (the
    embedded server is one process, whose Dispatch wakes its own parts)."""

    # Whether another process can hear ``notify`` (so there is a reason to send one).
    crosses_processes: bool

    def listening_to(
        self, handlers: Mapping[str, Callable[[str], None]]
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Call ``handlers[channel](payload)`` for each signal on those channels while inside."""
        ...

    async def notify(self, channel: str, payload: str) -> None:
        """Signal every other process listening on ``channel``."""
        ...


class InProcessSignals:
    """``Signals`` of a backend that one process uses alone: none to send, none to hear."""

    crosses_processes = False

    @contextlib.asynccontextmanager
    async def listening_to(
        self, handlers: Mapping[str, Callable[[str], None]]
    ) -> AsyncIterator[None]:
        del handlers  # no other process can signal
        yield

    async def notify(self, channel: str, payload: str) -> None:
        del channel, payload  # no other process listens


@dataclass(frozen=True)
class Backend:
    store: Store
    api_keys: ApiKeyStore
    files: FileRegistry
    outbox: Outbox
    overview: Overview
    queue_stats: QueueStats
    retention: TaskRetention
    workers: Workers
    signals: Signals
    # The database handle itself, for tests and benches that look at rows directly (the
    # memory backend's is its rows: it has no connection).
    db: SqliteDatabase | PostgresDatabase | MemoryDatabase
    close: Callable[[], Awaitable[None]]


MEMORY_URL = "memory://"
"""The in-memory backend's URL: every row in the process, nothing kept (tests, a quick try)."""


def check_url(url: str) -> None:
    """Refuse a database URL no backend takes, naming the forms."""
    if not (url.startswith("sqlite") or is_postgres_url(url) or url == MEMORY_URL):
        raise ValueError(
            f"database URL {url!r}: use sqlite:///PATH or postgresql://user@host:port/database"
            f" (or {MEMORY_URL}, which keeps nothing)"
        )


def open_now(url: str) -> Backend | None:
    """The backend ``url`` names, opened without an event loop where it can be (SQLite, the
    memory store: the embedded server is ready before its loop runs); None for PostgreSQL,
    whose pool belongs to the loop that will use it (``open_backend``)."""
    check_url(url)
    if url == MEMORY_URL:
        return open_memory()
    if is_postgres_url(url):
        return None
    return open_sqlite(url)


def open_sqlite(url: str) -> Backend:
    db = SqliteDatabase(sqlite_path_from_url(url))

    async def close() -> None:
        db.close()

    return Backend(
        store=SqliteStore(db), api_keys=SqliteApiKeys(db), files=SqliteFileRegistry(db),
        outbox=SqliteOutbox(db), overview=SqliteOverview(db), queue_stats=SqliteQueueStats(db),
        retention=SqliteTaskRetention(db), workers=SqliteWorkers(db),
        signals=InProcessSignals(), db=db, close=close,
    )


async def open_backend(url: str, *, pool_size: int = 10) -> Backend:
    """The backend ``url`` names (``check_url``'s forms), open, on the running loop."""
    backend = open_now(url)
    return backend if backend is not None else await open_postgres(url, pool_size=pool_size)


async def open_postgres(url: str, *, pool_size: int = 10) -> Backend:
    # Imported here: a SQLite server or command need not load the PostgreSQL driver (0.3 s).
    from imagegate.db.postgres.api_keys import PgApiKeys
    from imagegate.db.postgres.database import PostgresDatabase
    from imagegate.db.postgres.files import PgFileRegistry
    from imagegate.db.postgres.outbox import PgOutbox
    from imagegate.db.postgres.overview import PgOverview
    from imagegate.db.postgres.queue_stats import PgQueueStats
    from imagegate.db.postgres.retention import PgTaskRetention
    from imagegate.db.postgres.tasks import PostgresStore
    from imagegate.db.postgres.workers import PgWorkers

    db = await PostgresDatabase.open(url, max_size=pool_size)
    return Backend(
        store=PostgresStore(db), api_keys=PgApiKeys(db), files=PgFileRegistry(db),
        outbox=PgOutbox(db), overview=PgOverview(db), queue_stats=PgQueueStats(db),
        retention=PgTaskRetention(db), workers=PgWorkers(db),
        signals=db, db=db, close=db.close,
    )


def open_memory() -> Backend:
    """Every store on one ``MemoryDatabase`` (tasks/memory/): nothing kept past the process,
    for tests that need stores but no database."""
    db = MemoryDatabase()

    async def close() -> None:
        """Nothing to close: the rows go with the object."""

    return Backend(
        store=MemoryStore(db), api_keys=MemoryApiKeys(db), files=MemoryFileRegistry(db),
        outbox=MemoryOutbox(db), overview=MemoryOverview(db), queue_stats=MemoryQueueStats(db),
        retention=MemoryTaskRetention(db), workers=MemoryWorkers(db),
        signals=InProcessSignals(), db=db, close=close,
    )
