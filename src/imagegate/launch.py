"""How the commands reach the system (the Runtime part, beside runtime.py): the app that
``imagegate serve`` runs, the operator's operations on the configured database for one
``imagegate admin`` command, and each model's route described from the settings alone.

The CLI imports these and never the parts behind them (house.json: Cli → Runtime). Nothing
here starts a worker, an engine or the callback sender, or loads a model, except the app's
own lifespan when the server runs it.

Each entry point imports what it opens, inside it: an ``imagegate admin`` command is a process
of its own per call, and must not pay for importing the server's stack (the app, its routes,
the engines: about 0.7 s a call, measured with ``python -X importtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagegate.accounts.keys import KeyCache
from imagegate.api.admin_operations import AdminOperations
from imagegate.backend import open_backend
from imagegate.settings import Settings
from imagegate.tasks.switches import ServiceSwitches

if TYPE_CHECKING:
    from fastapi import FastAPI

    from imagegate.runtime import FirstStart, Runtime

# AdminOperations is named here for the commands' type hints: what ``operations`` hands out.
__all__ = [
    "AdminOperations", "RouteTable", "describe_routes", "first_start", "operations", "server_app",
]


def first_start(runtime: Runtime) -> FirstStart:
    """``runtime``'s first start (the admin key and the default account, each key shown once),
    before the server's loop runs. A backend open already (SQLite, the memory store) is used
    on a loop of its own, so the keys land in the rows the server will read; a PostgreSQL pool
    belongs to the loop that opens it, so a runtime of its own does the first start on a
    throwaway loop and closes, and the server opens its own pool when it starts."""
    if runtime.backend is not None:
        return asyncio.run(runtime.first_start())
    return asyncio.run(_first_start_elsewhere(runtime.settings))


async def _first_start_elsewhere(settings: Settings) -> FirstStart:
    from imagegate.runtime import Runtime

    runtime = Runtime(settings)
    try:
        return await runtime.first_start()
    finally:
        if runtime.backend is not None:
            await runtime.backend.close()


def server_app(runtime: Runtime) -> FastAPI:
    """The HTTP app over ``runtime``; its lifespan starts and stops the runtime."""
    from imagegate.api.app import create_app

    return create_app(runtime)


@contextlib.asynccontextmanager
async def operations(settings: Settings) -> AsyncIterator[AdminOperations]:
    """The operator's operations (api/admin_operations.py) on the database ``settings``
    name, open for one command: SQLite, or a PostgreSQL pool of one connection; closed on
    the way out. A running server sees a change within its caches' TTL (2 s)."""
    backend = await open_backend(settings.resolved_database_url, pool_size=1)
    try:
        yield AdminOperations(
            backend.store, KeyCache(backend.store, backend.api_keys),
            ServiceSwitches(backend.store),
        )
    finally:
        await backend.close()


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Each model's engines in failover order, and the upstream providers configured
    (``{name: {type, baseUrl}}``, never a key)."""

    routes: dict[str, list[str]]
    providers: dict[str, dict[str, str]]


def describe_routes(settings: Settings) -> RouteTable:
    """The routes ``settings`` give, with the engines built offline: no database, nothing
    started. A route or provider misconfigured is a ``ValueError`` that says which."""
    from imagegate.engines.registry import EngineContext, EngineSet
    from imagegate.engines.routing import build_router

    engines = EngineSet(EngineContext.offline(settings))
    return RouteTable(build_router(settings, engines).describe(), engines.describe_providers())
