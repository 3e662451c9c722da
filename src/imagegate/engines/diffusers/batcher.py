"""Batcher: compatible requests that arrive together run as one forward pass.

Each request has a compatibility key (same pipeline, size, steps, guidance...). The oldest
waiting request starts a batch; it waits ``window`` seconds for others of its key, then takes
them in arrival order while the images fit in ``batch_size`` (a request's own images are never
split: ``num_images`` is one batch even when larger). Batches run one at a time, so while one
runs on the GPU the next one gathers. A batch that fails in a way ``split_on`` names (out of
GPU memory) is run again one request at a time: alone, each may fit where together they did
not. A waiter that is cancelled leaves the queue, or, when its batch already runs, has its
``cancelled`` event set for the step callback to see.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")


@dataclass(eq=False)
class Entry(Generic[P]):
    """One waiting request: its payload, how many images it makes, and how to tell it."""

    key: Hashable
    size: int
    payload: P
    progress: Callable[[int], None]
    future: asyncio.Future[Any]
    # Set when the request's task is cancelled; read from the GPU thread between steps.
    cancelled: threading.Event = field(default_factory=threading.Event)
    arrived: float = field(default_factory=time.monotonic)


RunBatch = Callable[[list[Entry[P]]], Awaitable[list[R]]]


def _never(_exc: Exception) -> bool:
    return False


class Batcher(Generic[P, R]):
    def __init__(
        self, run: RunBatch[P, R], *, batch_size: int, window: float,
        split_on: Callable[[Exception], bool] = _never,
    ) -> None:
        self._run = run
        self.batch_size = batch_size
        self.window = window
        self.split_on = split_on
        self._pending: list[Entry[P]] = []
        self._driver: asyncio.Task[None] | None = None

    async def submit(
        self, key: Hashable, size: int, payload: P, progress: Callable[[int], None]
    ) -> R:
        """Queue ``payload`` and wait for its result (its share of the batch's)."""
        entry: Entry[P] = Entry(key, size, payload, progress,
                                asyncio.get_running_loop().create_future())
        self._pending.append(entry)
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive(), name="imagegate-diffusers-batcher")
        try:
            result: R = await entry.future
            return result
        except asyncio.CancelledError:
            entry.cancelled.set()
            with contextlib.suppress(ValueError):
                self._pending.remove(entry)
            raise

    async def _drive(self) -> None:
        while self._pending:
            head = self._pending[0]
            wait = head.arrived + self.window - time.monotonic()
            if wait > 0 and self._images_waiting(head.key) < self.batch_size:
                await asyncio.sleep(wait)
            batch = self._take()
            if batch:
                await self._settle(batch)

    async def _settle(self, batch: list[Entry[P]]) -> None:
        """Run ``batch`` and answer each of its waiters with its result or the error."""
        try:
            results = await self._run(batch)
        except Exception as exc:
            if len(batch) > 1 and self.split_on(exc):
                # One at a time, in arrival order; a waiter gone meanwhile is skipped.
                try:
                    for entry in batch:
                        if not entry.future.done():
                            await self._settle([entry])
                except BaseException:
                    self._abandon(batch)
                    raise
                return
            for entry in batch:
                if not entry.future.done():
                    entry.future.set_exception(exc)
            return
        except BaseException:
            self._abandon(batch)
            raise
        for entry, result in zip(batch, results, strict=True):
            if not entry.future.done():
                entry.future.set_result(result)

    @staticmethod
    def _abandon(batch: list[Entry[P]]) -> None:
        """The driver itself is cancelled (aclose): the batch has left ``_pending``, so its
        waiters hear it here or never; and the device thread stops it at its next step instead
        of finishing images nobody will take."""
        for entry in batch:
            entry.cancelled.set()
            entry.future.cancel()

    def _images_waiting(self, key: Hashable) -> int:
        return sum(entry.size for entry in self._pending if entry.key == key)

    def _take(self) -> list[Entry[P]]:
        """The oldest request and the compatible ones after it that fit the batch."""
        self._pending = [e for e in self._pending if not e.cancelled.is_set()]
        if not self._pending:
            return []
        head = self._pending[0]
        room = max(self.batch_size, head.size)
        batch: list[Entry[P]] = []
        for entry in self._pending:
            if entry.key == head.key and entry.size <= room:
                batch.append(entry)
                room -= entry.size
        self._pending = [e for e in self._pending if e not in batch]
        return batch

    async def aclose(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
        for entry in self._pending:
            if not entry.future.done():
                entry.future.cancel()
        self._pending = []
