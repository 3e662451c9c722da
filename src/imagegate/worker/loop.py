"""The worker: claim a task → fetch its inputs → run its route → store the images → finish.

Runs as coroutines inside ``imagegate serve`` (the embedded topology). Every write carries the
task's lease token, and a heartbeat keeps the lease alive while an engine runs; a worker that
dies leaves a lease that expires, and the task is claimed again and finishes once (at once
when the same server starts again: its worker id is stable, worker/identity.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from imagegate.catalog import get_model
from imagegate.catalog.fields import ImageLimits
from imagegate.clock import now_ms
from imagegate.engines.base import EngineJob, OutputImage, SourceImage
from imagegate.engines.router import Router
from imagegate.errors import EngineFailed, InputRejected, LeaseLost, TaskError
from imagegate.logs import context as log_context
from imagegate.storage.blobstore import BlobStore
from imagegate.tasks.events import EventSink, TaskChanged
from imagegate.tasks.files import StoredFile
from imagegate.tasks.lifecycle import Ended, Lifecycle
from imagegate.tasks.model import Task
from imagegate.worker.fetch import ImageFetcher
from imagegate.worker.generating import GeneratingMark
from imagegate.worker.heartbeat import Heartbeat
from imagegate.worker.lanes import EngineLanes

log = logging.getLogger(__name__)
T = TypeVar("T")

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class _Running:
    """A task this worker is running: the coroutine running it, and whether the account
    cancelled it (so the cancellation ends the task rather than handing it back)."""

    def __init__(self, runner: asyncio.Task[object] | None) -> None:
        self.runner = runner
        self.canceled = False

    def cancel(self) -> None:
        if not self.canceled and self.runner is not None:
            self.canceled = True
            self.runner.cancel()


class TaskEventHooks(Protocol):
    """What a running task's moments tell (callbacks/events.py: the webhookEvents callbacks)."""

    def started(self, task: Task) -> None: ...

    def progressed(self, task: Task, progress: int) -> None: ...

    def forget(self, task_id: str) -> None: ...


class Worker:
    """``concurrency`` slots, each claiming and running one task at a time."""

    def __init__(
        self,
        *,
        lifecycle: Lifecycle,
        events: EventSink,
        router: Router,
        fetcher: ImageFetcher,
        blobs: BlobStore,
        concurrency: int,
        lease_seconds: float,
        poll_interval: float,
        result_retention_ms: int,
        models: Sequence[str] | None = None,
        task_events: TaskEventHooks | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.events = events
        self.router = router
        self.fetcher = fetcher
        self.blobs = blobs
        self.concurrency = concurrency
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_interval = poll_interval
        self.result_retention_ms = result_retention_ms
        # The webhookEvents callbacks of running tasks (callbacks/events.py); None: none.
        self.task_events = task_events
        # The models this worker claims (None: all); a GPU machine serves what it has loaded.
        self.models = list(models) if models is not None else None
        # A random id until the runtime gives it this server's stable one (worker/identity.py).
        self.worker_id = f"{uuid.uuid4().hex[:12]}"
        # Slots waiting for work, and whether a wake-up came while none was waiting.
        self._idle: deque[asyncio.Future[None]] = deque()
        self._missed = False
        self._running: dict[str, _Running] = {}
        self._slots: list[asyncio.Task[None]] = []
        self._stopping = False
        # No more tasks of a bounded engine (the classic engine's CPU pool) than it can run:
        # the rest wait in the queue, not in slots that other engines' tasks need.
        self.lanes = EngineLanes(router)
        self._claiming = asyncio.Lock()

    def notify(self, count: int = 1) -> None:
        """``count`` tasks were created: wake as many idle slots now instead of at their next
        poll.

        With no slot idle, one wake-up is remembered for the next slot to go idle (it may have
        found the queue empty just before this task was committed). Not one per task: a busy
        slot claims again as soon as it finishes, so under load every task it would announce
        is taken anyway, and a backlog of wake-ups would only be claims that find nothing."""
        while self._idle and count > 0:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
        if count > 0:
            self._missed = True

    def cancel(self, task_id: str) -> bool:
        """The account cancelled this task (tasks/cancel.py): if it runs here, stop its
        engine at its next step and end it as cancelled. False when it runs elsewhere."""
        running = self._running.get(task_id)
        if running is None:
            return False
        running.cancel()
        return True

    async def _idle_wait(self) -> None:
        """Wait for ``notify`` or ``poll_interval``, whichever comes first."""
        if self._missed or self._stopping:  # stopping: the slot ends instead of waiting
            self._missed = False
            return
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            # Not wait_for: on Python 3.11 it swallows a cancel that lands as the wake-up
            # arrives, and stop() would wait for this slot forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await waiter
        finally:
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._idle.remove(waiter)

    def start(self) -> None:
        self._slots = [
            asyncio.create_task(self._slot(), name=f"imagegate-worker-{i}")
            for i in range(self.concurrency)
        ]

    async def stop(self, grace: float = 0.0) -> None:
        """Stop claiming; give running tasks ``grace`` seconds to finish, then cancel the
        rest, which hands each back to ``waiting`` (``process``) for the next worker."""
        self._stopping = True
        # Idle slots wake, see _stopping and end; a slot mid-claim ends after that claim (a
        # cancel there could strand the task it claims until its lease expires).
        for waiter in list(self._idle):
            if not waiter.done():
                waiter.set_result(None)
        if grace > 0 and self._slots:
            await asyncio.wait(self._slots, timeout=grace)
        for slot in self._slots:
            slot.cancel()
        await asyncio.gather(*self._slots, return_exceptions=True)
        self._slots = []

    async def _slot(self) -> None:
        while not self._stopping:
            try:
                task, lane = await self._claim()
            except Exception:
                log.exception("claiming a task failed; retrying")
                await asyncio.sleep(self.poll_interval)
                continue
            if task is None:
                await self._idle_wait()
                continue
            self.events.publish((TaskChanged(task.id),))  # shown queuing now
            try:
                # Every line logged while it runs names the task (logs/context.py).
                with log_context.task_context(task.id, task.account_id, task.model):
                    await self.process(task)
            finally:
                if self.lanes.give_back(lane):
                    self.notify()  # an idle slot passed this lane's tasks over: take one now

    async def _claim(self) -> tuple[Task | None, str | None]:
        """The next task, and the engine lane it took (worker/lanes.py). While any engine is
        bounded, one claim at a time, so that each sees the lanes the one before filled."""
        if not self.lanes.bounded:
            return await self.lifecycle.claim(self.worker_id, self.lease_ms, self.models), None
        async with self._claiming:
            task = await self.lifecycle.claim(
                self.worker_id, self.lease_ms, self.models, self.lanes.excluded()
            )
            return task, self.lanes.take(task.model) if task is not None else None

    async def process(self, task: Task) -> None:
        """Run one claimed task to its end (or until its lease is lost)."""
        progress = {"value": task.progress}
        lost = asyncio.Event()
        runner = asyncio.current_task()
        running = _Running(runner)
        self._running[task.id] = running

        def lose() -> None:
            # The lease is gone (taken over, or the task cancelled while shown queuing): stop
            # running the task; its new owner, or nobody, finishes it.
            lost.set()
            if runner is not None:
                runner.cancel()

        def changed() -> None:
            self.events.publish((TaskChanged(task.id),))

        mark = GeneratingMark(self.lifecycle, task, lose, on_shown=changed)
        beat = Heartbeat(
            self.lifecycle, task, self.lease_ms, progress, on_lost=lose,
            on_cancel=running.cancel, on_progress=changed,
        )
        beat.start()
        try:
            end = await self._execute(task, progress, mark, beat.progressed)
            if not await mark.settle():
                raise LeaseLost
        except LeaseLost:
            log.warning("task %s: lease lost; its new owner runs it", task.id)
            return
        except asyncio.CancelledError:
            if lost.is_set():
                log.warning("task %s: lease lost, leaving it to its new owner", task.id)
                return
            if running.canceled and runner is not None:
                # The account cancelled it (cancelTask): the engine stopped at its next step;
                # the task ends as cancelled, refunded, like any failure.
                runner.uncancel()
                end = self.lifecycle.cancelled
                if not await mark.settle():
                    log.warning("task %s: lease lost while cancelling", task.id)
                    return
            else:
                # Shutting down: give the task back so the next start runs it at once.
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.lifecycle.release(task))
                raise
        finally:
            mark.cancel()
            self._running.pop(task.id, None)
            if self.task_events is not None:
                self.task_events.forget(task.id)
            await beat.stop()
        ended = await _to_the_end(end(task))
        if ended is None:
            log.warning("task %s: finished elsewhere (stale lease token)", task.id)
            return
        finished = ended.task
        log.info("task %s %s (%s)", task.id, finished.state.value, finished.engine or "-")
        self.events.publish(ended.events)

    async def _execute(
        self,
        task: Task,
        progress: dict[str, int],
        mark: GeneratingMark,
        progressed: Callable[[], None],
    ) -> Callable[[Task], Awaitable[Ended | None]]:
        """Run the task's engine; the final move to make (once the generating mark has
        settled, so that no write of it lands after the end)."""
        lifecycle = self.lifecycle
        spec = get_model(task.model)
        # A model the catalog does not know came through a pass-through route: its input goes
        # up as sent, so there is nothing to fetch, and only that route's upstreams serve it.
        fields = spec.image_inputs() if spec is not None else {}
        costs: list[int] = []  # what the engine that served reports the task cost, if any
        try:
            images = await self._fetch_inputs(task, fields)

            async def started(engine: str) -> None:
                # The record shows generating, naming the engine, once it has run a moment
                # (worker/generating.py); a failover names the next engine.
                log_context.set_engine(engine)
                costs.clear()
                await mark.engine_started(engine)
                if self.task_events is not None:
                    self.task_events.started(task)

            def report(percent: int) -> None:
                value = max(progress["value"], min(99, 10 + percent * 89 // 100))
                if value != progress["value"]:
                    progress["value"] = value
                    progressed()  # written soon, not at the next regular beat
                    if self.task_events is not None:
                        self.task_events.progressed(task, value)

            job = EngineJob(task.id, task.model, task.input, images, report, costs.append)
            result = await self.router.run(job, started)
            files = await self._store_outputs(task, result.images)
        except InputRejected as exc:
            return partial(lifecycle.fail_with, error=exc)
        except EngineFailed as exc:
            return partial(
                lifecycle.fail, code=exc.error.fail_code, msg=exc.msg, engine=exc.engine
            )
        except TaskError as exc:
            return partial(lifecycle.fail_with, error=exc)
        except (asyncio.CancelledError, LeaseLost):
            raise
        except Exception as exc:
            # A bug must not strand the task: it fails, is refunded, and its callback is sent.
            log.exception("task %s: unexpected error", task.id)
            return partial(
                lifecycle.fail, code="500", msg=f"internal error: {type(exc).__name__}"
            )
        cost = costs[-1] if costs else None
        return partial(lifecycle.succeed, engine=result.engine, files=files, cost_milli=cost)

    async def _fetch_inputs(
        self, task: Task, fields: Mapping[str, ImageLimits]
    ) -> dict[str, list[SourceImage]]:
        """Each image-URL field's images, checked against the types its model accepts and the
        bytes it documents (a field at 5 MB is held to 5 MB, under the operator's cap)."""
        images: dict[str, list[SourceImage]] = {}
        for field, limits in fields.items():
            value = task.input.get(field)
            urls = value if isinstance(value, list) else [value] if value else []
            images[field] = [
                await self.fetcher.fetch(
                    url, f"input.{field}", limits.accepted_types, limits.max_bytes
                )
                for url in urls
            ]
        return images

    async def _store_outputs(
        self, task: Task, outputs: list[OutputImage]
    ) -> tuple[StoredFile, ...]:
        """Put the images into the BlobStore; their registry rows go with the finish. They
        expire after the operator's retention, or the request's ``X-Result-Retention`` when
        shorter (the janitor deletes them then, and their links stop working)."""
        created = now_ms()
        keep = self.result_retention_ms
        if task.result_retention_ms is not None:
            keep = min(keep, task.result_retention_ms)
        expires = created + keep
        day = datetime.fromtimestamp(created / 1000, UTC).strftime("%Y/%m/%d")
        stored: list[StoredFile] = []
        for index, image in enumerate(outputs):
            ext = _EXTENSIONS.get(image.mime_type, "bin")
            key = f"results/{day}/{task.id}/{index}.{ext}"
            await self.blobs.put(key, image.data, image.mime_type)
            stored.append(StoredFile(
                key=key, account_id=task.account_id, kind="result", task_id=task.id,
                file_name=f"{task.id}-{index}.{ext}", mime_type=image.mime_type,
                size=len(image.data), created_at=created, expires_at=expires,
            ))
        return tuple(stored)


async def _to_the_end(finishing: Awaitable[T]) -> T:
    """Await ``finishing`` to its end even when cancelled meanwhile (then the cancel goes on):
    a finish cut short by a shutdown would leave its task claimed until its lease expires."""
    inner = asyncio.ensure_future(finishing)
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        await inner
        raise
