"""The heartbeat of a running task: renews its lease, reports its progress, and hears a cancel
or the loss of the lease from the answer.

Three beats per lease, so one late beat never costs the lease. The first beat is a timer, not
a coroutine: most tasks of a fast engine end before it is due, and a timer costs nothing to
start and stop, where a task per task was a measurable share of a worker's CPU.

New progress from the engine brings the next beat forward (``progressed``): a beat every third
of a lease (10 s by default) is longer than many a whole task, and a progress bar that jumps
from 10 to 100 tells the user nothing. Beats stay at least ``PROGRESS_GAP`` apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import Task
from imagegate.tasks.store import Beat

log = logging.getLogger(__name__)

# Seconds: the soonest a beat follows new progress, and the least time between two beats.
PROGRESS_GAP = 0.5


class Heartbeat:
    def __init__(
        self,
        lifecycle: Lifecycle,
        task: Task,
        lease_ms: int,
        progress: dict[str, int],
        *,
        on_lost: Callable[[], None],
        on_cancel: Callable[[], None],
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        self.lifecycle = lifecycle
        self.task = task
        self.lease_ms = lease_ms
        self.progress = progress  # the engine's latest report, sent with each beat
        self.on_lost = on_lost
        self.on_cancel = on_cancel
        # The beat wrote a progress the record did not show before (its event streams wake).
        self.on_progress = on_progress
        self._written = task.progress
        self.interval = lease_ms / 3000
        self._timer: asyncio.TimerHandle | None = None
        self._beating: asyncio.Task[None] | None = None
        self._moved = asyncio.Event()  # progress changed since the last beat

    def progressed(self) -> None:
        """The engine reported new progress: write it within ``PROGRESS_GAP`` seconds rather
        than at the next regular beat."""
        self._moved.set()
        if self._timer is None:
            return  # beating already (it waits on _moved), or stopped
        loop = asyncio.get_running_loop()
        if self._timer.when() > loop.time() + PROGRESS_GAP:
            self._timer.cancel()
            self._timer = loop.call_later(PROGRESS_GAP, self._begin)

    def start(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.interval, self._begin)

    def _begin(self) -> None:
        self._timer = None
        self._beating = asyncio.create_task(self._beat_forever())

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
            self._beating = None

    async def _beat_forever(self) -> None:
        while True:
            self._moved.clear()
            progress = self.progress["value"]
            try:
                held = await self.lifecycle.beat(self.task, self.lease_ms, progress)
                if held and progress > self._written:
                    self._written = progress
                    self.on_progress()
            except Exception:
                log.exception("task %s: heartbeat failed", self.task.id)
                held = Beat.HELD  # unknown: the next beat asks again
            if held is Beat.CANCEL:
                # A cancel request this process did not hear at once (another API process,
                # or a NOTIFY missed while reconnecting): the beat is the fallback.
                self.on_cancel()
            elif not held:
                self.on_lost()
                return
            await self._rest()

    async def _rest(self) -> None:
        """Until the next beat is due: a regular interval, or sooner after new progress."""
        loop = asyncio.get_running_loop()
        due = loop.time() + self.interval
        await asyncio.sleep(min(PROGRESS_GAP, self.interval))
        # Not wait_for: on Python 3.11 it swallows a cancel (stop()) that lands in the same
        # turn as new progress, and the beat went on forever with stop() waiting for it: a
        # task whose engine reported progress as it finished stayed generating for good.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, due - loop.time())):
                await self._moved.wait()
