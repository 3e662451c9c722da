"""A worker process's presence: its row in the workers table, beaten every few seconds while
it runs and deleted when it stops cleanly, so that ``/readyz`` of any API process can tell
whether some worker is there to run the queue (tasks/workers_registry.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Sequence

from imagegate.clock import now_ms
from imagegate.tasks.workers_registry import WorkerRow, Workers

log = logging.getLogger(__name__)


class WorkerPresence:
    """Beats ``worker_id``'s row every ``interval`` seconds between ``start`` and ``stop``."""

    def __init__(
        self,
        workers: Workers,
        worker_id: str,
        *,
        concurrency: int,
        models: Sequence[str] | None,
        interval: float,
    ) -> None:
        self.workers = workers
        self.row = WorkerRow(
            id=worker_id, host=socket.gethostname()[:200], pid=os.getpid(),
            models=None if models is None else tuple(models), concurrency=concurrency,
            started_at=now_ms(), seen_at=0,
        )
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="imagegate-worker-presence")

    async def stop(self) -> None:
        """Stop beating and delete the row: a clean exit is not a dead worker."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await self.workers.remove(self.row.id)
        except Exception:
            # Its row then ages out of /readyz's window like a dead worker's.
            log.exception("could not remove worker %s from the workers table", self.row.id)

    async def _run(self) -> None:
        while True:
            try:
                await self.workers.beat(self.row)
            except Exception:
                # A database hiccup must not stop the beats; /readyz shows it if it lasts.
                log.exception("worker heartbeat failed")
            await asyncio.sleep(self.interval)
