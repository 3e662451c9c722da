"""When a claimed task shows ``generating``: once its engine has run for ``GENERATING_AFTER_S``.

A task whose engine answers at once (the mock engine, a cached render, a fast upstream) goes
from ``queuing`` straight to its end: the write that would show ``generating`` for a few
milliseconds, which no poller could see, is skipped. That is one statement and one commit less
per task on the queue's hot path (a quarter of the worker's writes). An engine that runs
longer is shown ``generating``, with its name, after that delay, as a poller expects; the
finish names the engine that served the task either way.

The write is conditional on the lease like every other. If it finds the lease gone (another
worker took the task over, or cancelTask ended it while it was still shown queuing), the task
is dropped as the heartbeat would drop it; ``settle`` says so before the finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from imagegate.errors import LeaseLost
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import Task

log = logging.getLogger(__name__)

# Long enough for an engine that answers at once, short against any poll interval.
GENERATING_AFTER_S = 0.05


class GeneratingMark:
    """Shows a claimed task as ``generating`` once its engine has run a little while."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        task: Task,
        on_lost: Callable[[], None],
        delay: float | None = None,
        on_shown: Callable[[], None] = lambda: None,
    ) -> None:
        self.lifecycle = lifecycle
        self.task = task
        self.on_lost = on_lost  # stops the task's runner, as a lost heartbeat does
        self.on_shown = on_shown  # the record shows generating now (its event streams wake)
        # Read at each task, not bound at import: a test stretches it (module attribute).
        self.delay = GENERATING_AFTER_S if delay is None else delay
        self.held = True  # False once a write found the lease gone
        self._engine: str | None = None
        self._written: str | None = None  # the engine the record names, once shown
        self._timer: asyncio.TimerHandle | None = None
        self._write: asyncio.Task[None] | None = None
        self._settling = False

    async def engine_started(self, engine: str) -> None:
        """An engine of the route starts: the first one, or the next after a failover."""
        self._engine = engine
        if self._written is not None:
            # Already shown generating: the record follows the failover at once.
            if not await self.lifecycle.switch_engine(self.task, engine):
                raise LeaseLost
            self._written = engine
        elif self._timer is None and self._write is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._start_write)

    def _start_write(self) -> None:
        self._timer = None
        self._write = asyncio.create_task(self._mark())

    async def _mark(self) -> None:
        engine = self._engine
        try:
            held = await self.lifecycle.start(self.task, engine)
            if held and engine != self._engine and self._engine is not None:
                # A failover while the write was on its way: name the engine running now.
                held = await self.lifecycle.switch_engine(self.task, self._engine)
        except Exception:
            # The database did not answer: the task stays shown as queuing, and the heartbeat
            # (which retries) decides whether the lease still holds.
            log.exception("task %s: showing it generating failed", self.task.id)
            return
        if held:
            self._written = self._engine
            self.on_shown()
            return
        self.held = False
        if not self._settling:
            self.on_lost()

    async def settle(self) -> bool:
        """Before the finish: no write may land after it. Stops a pending write, lets one on
        its way end; False when the lease turned out lost."""
        self._settling = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._write is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._write)
        return self.held

    def cancel(self) -> None:
        """The task's run ends early (shutdown, lease lost): nothing more is written."""
        self._settling = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._write is not None and not self._write.done():
            self._write.cancel()
