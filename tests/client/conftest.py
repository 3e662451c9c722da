"""The client's fixtures: the real app in-process on a loop of its own (so the sync client,
whose transport cannot await, reaches it too), and the sync and async clients side by side."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from client_harness import Either, ThreadedApp, fast_sleeps

from imagegate.client import AsyncClient, Client


@pytest.fixture
def app_factory(runtime_factory: Any) -> Iterator[Callable[..., ThreadedApp]]:
    made: list[ThreadedApp] = []

    def factory(**overrides: Any) -> ThreadedApp:
        overrides.setdefault("query_rate", "1000/1s")
        app = ThreadedApp(runtime_factory(**overrides))
        made.append(app)
        return app

    yield factory
    for app in made:
        app.close()


@pytest.fixture
async def client_factory(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Either]]:
    """``client_factory(app, is_async, **kwargs)``: a client on the app, closed afterwards."""
    made: list[Client | AsyncClient] = []

    def factory(app: ThreadedApp, is_async: bool, **kwargs: Any) -> Either:
        kwargs.setdefault("api_key", app.key)
        kwargs.setdefault("base_url", "http://testserver")
        kwargs.setdefault("sleep", fast_sleeps(is_async))
        client: Client | AsyncClient
        if is_async:
            client = AsyncClient(transport=app.async_transport(), **kwargs)
        else:
            client = Client(transport=app.sync_transport(), **kwargs)
        made.append(client)
        return Either(client)

    yield factory
    for client in made:
        if isinstance(client, Client):
            client.close()
        else:
            await client.aclose()


@pytest.fixture(params=["sync", "async"])
def is_async(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "async")


@pytest.fixture
async def gate(
    app_factory: Callable[..., ThreadedApp], client_factory: Callable[..., Either], is_async: bool
) -> AsyncIterator[Either]:
    """A client (sync and async, by parameter) on a live in-process imagegate."""
    yield client_factory(app_factory(), is_async)
