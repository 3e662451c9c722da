"""A PostgreSQL database of its own for a test: created on the server at
``IMAGEGATE_TEST_POSTGRES`` (default the machines' 127.0.0.1:5432, trust auth, user postgres,
database test), dropped afterwards; tests that need it are skipped, with the reason, where no
server answers."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

ADMIN_URL = os.environ.get(
    "IMAGEGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"no PostgreSQL at {ADMIN_URL}: {exc}"
    return None


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL (postgresql://...) of a new, empty database, dropped on exit."""
    name = f"imagegate_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
