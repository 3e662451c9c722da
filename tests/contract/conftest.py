"""The contract suite's backends: every case that takes ``backend`` runs on the in-memory
stores, on a fresh SQLite file and on a fresh PostgreSQL database (skipped, with the reason,
where none answers), through the same protocols."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from imagegate.backend import Backend, open_memory, open_postgres, open_sqlite
from imagegate.errors import InternalError

from contract_kit import Rows, rows_of

BACKENDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":
        opened = open_memory()
    elif request.param == "sqlite":
        opened = open_sqlite(f"sqlite:///{tmp_path / 'imagegate.db'}")
    else:
        opened = await open_postgres(request.getfixturevalue("postgres_url"), pool_size=12)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def rows(backend: Backend) -> Rows:
    return rows_of(backend)


@pytest.fixture
def duplicate_error(request: pytest.FixtureRequest) -> type[Exception]:
    """What the backend raises for a row whose unique key is taken (a bug of the caller's):
    its database's integrity error, or in memory an internal error."""
    name = request.node.callspec.params["backend"]
    return {"memory": InternalError, "sqlite": sqlite3.IntegrityError,
            "postgres": asyncpg.UniqueViolationError}[name]
