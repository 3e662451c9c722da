"""PostgreSQL for the scale-out topology: an asyncpg pool, the schema migrated on open, and
LISTEN/NOTIFY for waking workers.

N API processes and M workers share one database. Migrations run under an advisory lock
(``migrate.upgrade_postgres``), so processes starting together migrate once. asyncpg is the
driver (the store's hot path: a claim is one round trip); the migrations reach the same
database through SQLAlchemy's asyncio extension over asyncpg, so one driver serves both.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from imagegate.db.migrate import upgrade_postgres
from imagegate.db.signals import POSTGRES_SCHEMES


def numbered(sql: str) -> str:
    """SQLite's ``?`` placeholders as PostgreSQL's ``$1, $2, …``, for SQL shared by both
    databases (which must hold no other question mark)."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


def asyncpg_url(url: str) -> str:
    """The URL as asyncpg takes it (``postgresql://``)."""
    for scheme in POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql://" + url.removeprefix(scheme)
    raise ValueError(f"not a PostgreSQL URL: {url!r} (postgresql://user@host:port/database)")


def sqlalchemy_url(url: str) -> str:
    return "postgresql+asyncpg://" + asyncpg_url(url).removeprefix("postgresql://")


async def migrate(url: str) -> str:
    """Bring the database to the head revision; the revision it was at ("" when fresh)."""
    engine = create_async_engine(sqlalchemy_url(url))
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(upgrade_postgres)
    finally:
        await engine.dispose()


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing to send. asyncpg's default sends a reset query
    (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) each time a connection goes back, a
    second round trip per statement on the hot path; no statement of imagegate's changes
    session state on a pool connection (LISTEN has a connection of its own, the migrations
    theirs), and asyncpg still rolls back a transaction left open."""


class PostgresDatabase:
    """The pool every store of the process shares."""

    # ``Signals`` (backend.py): NOTIFY reaches every process of the fleet.
    crosses_processes = True

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.pool = pool

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresDatabase:
        await migrate(url)
        pool = await asyncpg.create_pool(
            asyncpg_url(url), min_size=min_size, max_size=max_size,
            # The store's statements are few and fixed: prepared once per connection.
            statement_cache_size=256,
            reset=_keep_session,
        )
        return cls(url, pool)

    async def close(self) -> None:
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as connection, connection.transaction():
            yield connection

    async def execute(self, sql: str, *args: Any) -> str:
        """One statement in autocommit (its own transaction, with no BEGIN/COMMIT round
        trips); the command status ("UPDATE 1")."""
        async with self.pool.acquire() as connection:
            return str(await connection.execute(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        async with self.pool.acquire() as connection:
            return await connection.fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self.pool.acquire() as connection:
            return list(await connection.fetch(sql, *args))

    async def notify(self, channel: str, payload: str) -> None:
        async with self.pool.acquire() as connection:
            await connection.execute("SELECT pg_notify($1, $2)", channel, payload)

    @contextlib.asynccontextmanager
    async def listening(
        self, channel: str, on_notify: Callable[[str], None]
    ) -> AsyncIterator[None]:
        """Call ``on_notify(payload)`` for each NOTIFY on ``channel`` while inside."""
        async with self.listening_to({channel: on_notify}):
            yield

    @contextlib.asynccontextmanager
    async def listening_to(
        self, handlers: Mapping[str, Callable[[str], None]]
    ) -> AsyncIterator[None]:
        """Call ``handlers[channel](payload)`` for each NOTIFY on those channels while inside.

        One connection for all of them, outside the pool, since LISTEN is per connection.
        One, not one per channel: PostgreSQL signals every listening backend of the database
        at each NOTIFY's commit, whatever it listens to, so each extra listener costs the
        database CPU on every createTask."""
        connection = await asyncpg.connect(asyncpg_url(self.url))

        def deliver(_conn: Any, _pid: int, channel: str, payload: str) -> None:
            handlers[channel](payload)

        try:
            for channel in handlers:
                await connection.add_listener(channel, deliver)
            yield
        finally:
            await connection.close()


def affected(status: str) -> int:
    """The row count of an asyncpg command status ("UPDATE 1", "DELETE 12")."""
    return int(status.rsplit(" ", 1)[-1]) if status and status[-1].isdigit() else 0
