"""A PostgreSQL database of its own for a test: created on the server at
``IMAGEGATE_TEST_POSTGRES`` (default the machines' 127.0.0.1:5432, trust auth, user postgres,
database test), dropped afterwards; tests that need it are skipped, with the reason, where no
server answers."""

from __future__ import annotations

import asyncio
import os
import threading
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


def _run(sql: str) -> None:
    """``_admin(sql)`` to completion from sync code, even inside a running event loop (an async
    fixture asking for a database): on a thread of its own."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_admin(sql))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        _run("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"no PostgreSQL at {ADMIN_URL}: {exc}"
    return None


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL (postgresql://...) of a new, empty database, dropped on exit."""
    name = f"imagegate_test_{uuid.uuid4().hex[:12]}"
    _run(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        _run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
