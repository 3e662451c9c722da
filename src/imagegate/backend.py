"""Where the runtime keeps its rows: SQLite (the embedded topology) or PostgreSQL (scale-out).

Both give the same four parts — the task store, the file registry, the callback outbox and a
way to close — with the same operations and guarantees; ``database_url`` picks one. SQLite
opens synchronously (the embedded server is ready before its event loop runs); PostgreSQL
opens on the event loop that will use its pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from imagegate.callbacks.outbox import CallbackOutbox
from imagegate.callbacks.pg_outbox import PgCallbackOutbox
from imagegate.storage.pg_registry import PgFileRegistry
from imagegate.storage.registry import FileRegistry
from imagegate.tasks.pg_store import PostgresStore
from imagegate.tasks.postgres import PostgresDatabase, is_postgres_url
from imagegate.tasks.sqlite import SqliteDatabase, sqlite_path_from_url
from imagegate.tasks.store import SqliteStore

TaskStore = SqliteStore | PostgresStore
Files = FileRegistry | PgFileRegistry
Outbox = CallbackOutbox | PgCallbackOutbox


@dataclass(frozen=True)
class Backend:
    store: TaskStore
    files: Files
    outbox: Outbox
    db: SqliteDatabase | PostgresDatabase
    close: Callable[[], Awaitable[None]]


def check_url(url: str) -> None:
    """Refuse a database URL neither backend takes, naming both forms."""
    if not (url.startswith("sqlite") or is_postgres_url(url)):
        raise ValueError(
            f"database URL {url!r}: use sqlite:///PATH or postgresql://user@host:port/database"
        )


def open_sqlite(url: str) -> Backend:
    db = SqliteDatabase(sqlite_path_from_url(url))

    async def close() -> None:
        db.close()

    return Backend(SqliteStore(db), FileRegistry(db), CallbackOutbox(db), db, close)


async def open_postgres(url: str, *, pool_size: int = 10) -> Backend:
    db = await PostgresDatabase.open(url, max_size=pool_size)
    return Backend(PostgresStore(db), PgFileRegistry(db), PgCallbackOutbox(db), db, db.close)
