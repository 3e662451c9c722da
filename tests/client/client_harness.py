"""The client tests' harness: the real app on a loop of its own with sync and async
transports into it, and sync and async clients called alike."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from imagegate.client import AsyncClient, Client

FAST = 0.02


class ThreadedApp:
    """A runtime and its app over ``httpx.ASGITransport`` on a background event loop, with a
    sync and an async transport bridging to it."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.key = self.call(self._open())

    async def _open(self) -> str:
        from imagegate.api.app import create_app

        first = await self.runtime.first_start()
        self.asgi = httpx.ASGITransport(app=create_app(self.runtime, manage_runtime=False))
        await self.runtime.start()
        return str(first.default_key)

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    async def forward(self, request: httpx.Request, body: bytes) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        answer = await self.asgi.handle_async_request(copy)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content)

    def sync_transport(self) -> httpx.BaseTransport:
        app = self

        class Bridge(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                return app.call(app.forward(request, request.read()))  # type: ignore[no-any-return]

        return Bridge()

    def async_transport(self) -> httpx.AsyncBaseTransport:
        app = self

        class Bridge(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                body = await request.aread()
                future = asyncio.run_coroutine_threadsafe(app.forward(request, body), app.loop)
                return await asyncio.wrap_future(future)

        return Bridge()

    def close(self) -> None:
        # On this loop, where its parts run: runtime_factory stops only runtimes of the test's.
        self.call(self.runtime.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class Either:
    """One client, sync or async, called the async way: a sync call runs in a thread."""

    def __init__(self, client: Client | AsyncClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncClient)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)
        if self.is_async:
            return method  # type: ignore[no-any-return]

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


def fast_sleeps(is_async: bool) -> Any:
    if is_async:
        async def nap(seconds: float) -> None:
            await asyncio.sleep(FAST)

        return nap
    return lambda seconds: time.sleep(FAST)
