"""How an admin command works on the configured database: ``run`` opens it for one
operation and closes it; ``--data-dir`` names it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from imagegate.cli.admin.output import fail
from imagegate.settings import load_settings

if TYPE_CHECKING:
    from imagegate.accounts.store import ApiKeyStore as ApiKeys
    from imagegate.backend import Backend

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the database and files live (env IMAGEGATE_DATA_DIR)"),
]


def run(data_dir: Path | None, work: Callable[[Backend, ApiKeys], Awaitable[T]]) -> T:
    """Open the configured database, run ``work`` on it, close it."""
    from imagegate.backend import open_postgres, open_sqlite
    from imagegate.db.postgres.database import is_postgres_url
    from imagegate.errors import ApiError

    try:
        url = load_settings(data_dir=data_dir).resolved_database_url
    except ValueError as exc:
        fail(f"configuration error: {exc}")

    async def main() -> T:
        backend = await open_postgres(url, pool_size=1) if is_postgres_url(url) else (
            open_sqlite(url)
        )
        try:
            return await work(backend, backend.api_keys)
        finally:
            await backend.close()

    try:
        return asyncio.run(main())
    except ApiError as exc:  # the operations' own refusals (unknown account, bad value)
        fail(exc.msg)
