"""The contract suite's backends: every case that takes ``backend`` runs on the in-memory
stores, on a fresh SQLite file and on a fresh PostgreSQL database (skipped, with the reason,
where none answers), through the same protocols."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from imagegate.backend import Backend
from imagegate.errors import InternalError

from contract_kit import Rows, rows_of

BACKENDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, open_backend_named: Any
) -> AsyncIterator[Backend]:
    async with open_backend_named(request.param, pool_size=12) as opened:
        yield opened


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
