"""The janitor: deletes expired files (uploads after 3 days, results after 14 by default),
forgets Idempotency-Keys past their window (24 hours by default) and deletes finished tasks'
records past their retention (30 days by default; tasks/retention.py says what goes with them).

Each sweep removes the blob first and the registry row second, so a crash in between leaves a
row whose blob is gone (removed again next sweep), never a blob nobody knows about.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from imagegate import metrics
from imagegate.clock import now_ms
from imagegate.errors import BlobNotFound
from imagegate.storage.blobstore import BlobStore
from imagegate.tasks.files import FileRegistry
from imagegate.tasks.retention import TaskRetention

log = logging.getLogger(__name__)

# Rows taken per query; a sweep keeps taking batches until none are left.
_BATCH = 500
# Task records age in days, so one pass an hour is plenty; and each pass walks the old rows it
# must keep (a total-capped key's tasks), work not worth redoing every minute.
TASK_PASS_SECONDS = 3600.0


class Janitor:
    """Sweeps the file registry for expired files, and the database for expired
    Idempotency-Keys and old task records, every ``interval_seconds``."""

    def __init__(
        self,
        files: FileRegistry,
        blobs: BlobStore,
        interval_seconds: float,
        *,
        forget_keys: Callable[[int], Awaitable[int]] | None = None,
        tasks: TaskRetention | None = None,
        task_retention_ms: int = 0,
    ) -> None:
        self.files = files
        self.blobs = blobs
        self.interval_seconds = interval_seconds
        # How expired Idempotency-Keys are deleted: the task store's way (None: not here).
        self._forget = forget_keys
        # Finished tasks created more than task_retention_ms ago go; 0 (or no tasks) keeps all.
        self.tasks = tasks
        self.task_retention_ms = task_retention_ms
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Run the sweep loop in the background (on the running event loop)."""
        if self._task is not None and not self._task.done():
            return
        self._stopping = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="imagegate-janitor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def sweep(self, now: int | None = None) -> int:
        """One pass: delete every expired file's blob and row; returns how many were removed."""
        removed = 0
        failed: set[str] = set()
        while True:
            expired = await self.files.expired(limit=_BATCH, now=now)
            batch = [f for f in expired if f.key not in failed]
            for file in batch:
                try:
                    await self.blobs.delete(file.key)
                except BlobNotFound:
                    pass  # already gone: the row is all that is left to remove
                except Exception:
                    # Keep the row so the next sweep tries again; skip it for the rest of this one.
                    log.exception("janitor: could not delete blob %s", file.key)
                    failed.add(file.key)
                    continue
                await self.files.remove(file.key)
                metrics.JANITOR_DELETED.labels(kind="file").inc()
                removed += 1
            # A short batch was the last one; a batch of only failures would repeat forever.
            if len(expired) < _BATCH or not batch:
                break
        if removed or failed:
            log.info("janitor: removed %d expired files, %d failed", removed, len(failed))
        return removed

    async def forget_keys(self, now: int | None = None) -> int:
        """Delete the Idempotency-Keys past their window; returns how many were deleted."""
        when = now if now is not None else now_ms()
        removed = await self._forget(when) if self._forget is not None else 0
        metrics.JANITOR_DELETED.labels(kind="idempotency_key").inc(removed)
        if removed:
            log.info("janitor: forgot %d expired idempotency keys", removed)
        return removed

    async def forget_tasks(self, now: int | None = None) -> int:
        """Delete the finished tasks past their retention, with their own rows, a batch per
        transaction so that a backlog never holds the database's lock for long; returns how
        many tasks were deleted."""
        if self.tasks is None or self.task_retention_ms <= 0:
            return 0
        before = (now if now is not None else now_ms()) - self.task_retention_ms
        removed = 0
        while True:
            count = await self.tasks.delete_batch(before, _BATCH)
            metrics.JANITOR_DELETED.labels(kind="task").inc(count)
            removed += count
            # A short batch was the last (on PostgreSQL also when another process's janitor
            # took part of it: what is left is the next sweep's).
            if count < _BATCH:
                break
        if removed:
            log.info("janitor: deleted %d finished tasks past their retention", removed)
        return removed

    async def _run(self) -> None:
        tasks_due = 0.0
        while not self._stopping.is_set():
            try:
                await self.sweep()
                await self.forget_keys()
                if time.monotonic() >= tasks_due:
                    tasks_due = time.monotonic() + TASK_PASS_SECONDS
                    await self.forget_tasks()
            except Exception:
                # A failing sweep (database busy, store down) must not end the loop.
                log.exception("janitor: sweep failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_seconds):
                    await self._stopping.wait()
