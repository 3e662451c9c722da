"""The ``webhookEvents`` callbacks of a running task: ``start`` (its engine starts) and
``progress`` (its progress moved; at most one a second per task). Each is the current record in
the jobs callback's shape with an ``event`` marker (``wire.jobs.event_body``), signed as the
account chose (Kie's headers or Standard Webhooks', whose ``webhook-id`` is
``evt_<task>_<event>_<n>``, the same on each retry of that event).

Best effort, unlike the final callback: sent from the worker's process at once, retried twice
after a short pause on a network error or a 5xx, and then dropped with a log line. An event is
information about a moment that has passed; the final (``completed``) callback goes through the
outbox and is retried until delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from imagegate.callbacks.sender import USER_AGENT, CallbackSender
from imagegate.errors import OutboundRefused
from imagegate.outbound import send_pinned
from imagegate.tasks.model import Task
from imagegate.wire import standard_webhooks
from imagegate.wire.jobs import event_body
from imagegate.wire.surfaces import Surface
from imagegate.wire.webhooks import signature_headers

log = logging.getLogger(__name__)

EVENT_HEADER = "X-Imagegate-Event"
PROGRESS_EVERY_S = 1.0
_RETRY_PAUSES_S = (0.5, 2.0)


class EventCallbacks:
    """Sends a task's start and progress callbacks, over the callback sender's HTTP client,
    URL policy and account lookups."""

    def __init__(self, sender: CallbackSender) -> None:
        self.sender = sender
        self._sent: dict[tuple[str, str], int] = {}  # (task, event) -> how many so far
        self._last_progress: dict[str, tuple[float, int]] = {}  # task -> (when, value)
        self._inflight: set[asyncio.Task[None]] = set()

    def started(self, task: Task) -> None:
        """The task's engine started: its ``start`` callback, if asked for (once)."""
        if task.notifies("start") and (task.id, "start") not in self._sent:
            self._spawn(task, "start", None)

    def progressed(self, task: Task, progress: int) -> None:
        """The engine reported ``progress``: a ``progress`` callback if asked for, the value
        moved and a second has passed since the last one."""
        if not task.notifies("progress"):
            return
        now = time.monotonic()
        last = self._last_progress.get(task.id)
        if last is not None and (progress <= last[1] or now - last[0] < PROGRESS_EVERY_S):
            return
        self._last_progress[task.id] = (now, progress)
        self._spawn(task, "progress", progress)

    def forget(self, task_id: str) -> None:
        """The task ended: drop what was kept about it."""
        self._last_progress.pop(task_id, None)
        for event in ("start", "progress"):
            self._sent.pop((task_id, event), None)

    async def stop(self) -> None:
        for send in list(self._inflight):
            send.cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight))

    def _spawn(self, task: Task, event: str, progress: int | None) -> None:
        count = self._sent.get((task.id, event), 0) + 1
        self._sent[(task.id, event)] = count
        send = asyncio.get_running_loop().create_task(
            self._deliver(task, event, progress, f"evt_{task.id}_{event}_{count}"),
            name="imagegate-event-callback",
        )
        self._inflight.add(send)
        send.add_done_callback(self._inflight.discard)

    async def _deliver(
        self, task: Task, event: str, progress: int | None, message_id: str
    ) -> None:
        current = await self.sender.tasks.get_task(task.id) or task
        body = json.dumps(event_body(
            current, event, self.sender.url_for, v2=current.surface is Surface.JOBS_V2,
            progress=progress,
        )).encode()
        for pause in (*_RETRY_PAUSES_S, None):
            try:
                status = await self._send(current, event, body, message_id)
                if status < 500:
                    return
                problem = f"HTTP {status}"
            except OutboundRefused as exc:
                log.info("event callback %s of task %s refused: %s", event, task.id, exc)
                return
            except Exception as exc:  # a network error: retried like a 5xx
                problem = repr(exc)
            if pause is None:
                log.info("event callback %s of task %s dropped: %s", event, task.id, problem)
                return
            await asyncio.sleep(pause)

    async def _send(self, task: Task, event: str, body: bytes, message_id: str) -> int:
        assert task.callback_url is not None  # notifies() said so
        resolved = await self.sender.policy.resolve(task.callback_url)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   EVENT_HEADER: event}
        secret = await self.sender.secret_for(task.account_id)
        if secret:
            scheme = (await self.sender.scheme_for(task.account_id)
                      if self.sender.scheme_for else "kie")
            if scheme == "standard":
                headers.update(standard_webhooks.signature_headers(message_id, body, secret))
            else:
                headers.update(signature_headers(task.id, secret))
        response = await send_pinned(
            self.sender.client(), "POST", resolved, headers=headers, content=body,
            timeout=self.sender.timeout, stream=True,
        )
        with contextlib.suppress(Exception):
            await response.aclose()
        return response.status_code
