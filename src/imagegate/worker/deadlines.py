"""The sweep that enforces ``Cancel-After`` deadlines (tasks/deadlines.py says what it does to
a task), every ``interval_seconds`` in the background of each process that runs the worker's
background parts (``imagegate serve``, ``imagegate worker``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from imagegate.clock import now_ms
from imagegate.tasks.deadlines import DeadlineStore, enforce
from imagegate.tasks.events import EventSink
from imagegate.tasks.lifecycle import Lifecycle

log = logging.getLogger(__name__)


class DeadlineSweep:
    """Cancels the tasks past their deadline, one pass per interval."""

    def __init__(
        self, store: DeadlineStore, lifecycle: Lifecycle, events: EventSink,
        interval_seconds: float,
    ) -> None:
        self.store = store
        self.lifecycle = lifecycle
        self.events = events
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the pass loop in the background (on the running event loop)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="imagegate-deadlines"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def sweep(self, now: int | None = None) -> int:
        """One pass: the tasks it cancelled (or asked to stop)."""
        return await enforce(self.store, self.lifecycle, self.events,
                             now if now is not None else now_ms())

    async def _run(self) -> None:
        while True:
            try:
                cancelled = await self.sweep()
                if cancelled:
                    log.info("deadlines: %d task(s) past their Cancel-After cancelled", cancelled)
            except Exception:  # a database hiccup must not end the loop; the next pass retries
                log.exception("deadlines: the sweep failed")
            await asyncio.sleep(self.interval_seconds)
