"""Upstream callbacks, delivered to the engine waiting on that upstream task.

A Kie-compatible upstream calls ``POST /api/upstream/{provider}/callback`` when a task ends.
The body is not trusted: it only wakes the engine, which then reads the task from the upstream
with the operator's key, so a forged callback can at most cause one early poll. Engines poll
anyway (slower when callbacks are on), so a lost callback delays a task, never strands it.

In the embedded topology the API and the worker share one event loop, so the wake-up is a
call. In a fleet on PostgreSQL the API process that took the callback also NOTIFYs
``imagegate_upstream``, and every process's listener passes it on here
(``Runtime.upstream_called_back``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import Iterator


class UpstreamEvents:
    """Wake-ups keyed by (provider name, upstream task id)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._waiting: dict[tuple[str, str], asyncio.Event] = {}

    def token(self, provider: str) -> str:
        """The token a provider's callback URL carries, so stray POSTs are told apart."""
        mac = hmac.new(self._secret, f"upstream-callback:{provider}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def check(self, provider: str, token: str) -> bool:
        return hmac.compare_digest(self.token(provider), token)

    def notify(self, provider: str, upstream_id: str) -> bool:
        """Wake the engine waiting on this task; False when none is (already done, or a
        repeat: Kie may call back more than once)."""
        event = self._waiting.get((provider, upstream_id))
        if event is None:
            return False
        event.set()
        return True

    @contextlib.contextmanager
    def watching(self, provider: str, upstream_id: str) -> Iterator[Watch]:
        """Register for the task's callbacks for as long as the engine follows it, so one that
        arrives while the engine is busy polling is not missed."""
        key = (provider, upstream_id)
        event = asyncio.Event()
        self._waiting[key] = event
        try:
            yield Watch(event)
        finally:
            if self._waiting.get(key) is event:
                del self._waiting[key]


class Watch:
    """One followed upstream task: sleeps that a callback cuts short."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    async def sleep(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, less if a callback came (or had come since the
        last sleep); whether one did."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        woke = self._event.is_set()
        self._event.clear()
        return woke
