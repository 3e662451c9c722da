"""How an admin command works on the configured database: ``run`` opens the operator's
operations there (the runtime's, launch.py) for one operation and closes them; ``--data-dir``
names it. A refusal is the operation's own words, naming the command's option."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from imagegate.cli.admin.output import fail
from imagegate.errors import ApiError, ValidationFailed
from imagegate.settings import load_settings

if TYPE_CHECKING:
    from imagegate.launch import AdminOperations

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the database and files live (env IMAGEGATE_DATA_DIR)"),
]

# The operations' fields (the admin API's names) as the commands call them; a refusal of a
# field not here says its field, as the API does.
OPTIONS = {
    "ipAllow": "--ip-allow", "expiresAt": "--expires-at", "model": None, "credits": "--credits",
}


def run(data_dir: Path | None, work: Callable[[AdminOperations], Awaitable[T]]) -> T:
    """Open the operations on the configured database, run ``work`` with them, close them."""
    from imagegate.launch import operations

    try:
        settings = load_settings(data_dir=data_dir)
    except ValueError as exc:
        fail(f"configuration error: {exc}")

    async def main() -> T:
        async with operations(settings) as ops:
            return await work(ops)

    try:
        return asyncio.run(main())
    except ValidationFailed as exc:  # a value out of its spec: name the option that gave it
        if exc.field not in OPTIONS:
            fail(exc.msg)
        option = OPTIONS[exc.field]
        fail(f"{option}: {exc.problem}" if option else exc.problem)
    except ApiError as exc:  # the operations' other refusals
        fail(exc.msg)
