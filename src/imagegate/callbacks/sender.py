"""The callback sender: delivers outbox rows over HTTP, signed, retried with backoff until dead.

The body is rendered when it is sent (``imagegate.wire.callbacks``), in the shape of the
surface the task was created through, from the task, the balance its row keeps and fresh signed
links to its files; a row from before the outbox kept no body is sent as stored. Every final
failure is logged and kept in its row: no callback is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from imagegate import metrics
from imagegate.clock import now_ms
from imagegate.errors import OutboundRefused
from imagegate.logs import context as log_context
from imagegate.outbound import UrlPolicy, send_pinned
from imagegate.tasks.outbox import CallbackRow, Outbox
from imagegate.tasks.store import TaskReader
from imagegate.wire import standard_webhooks
from imagegate.wire.callbacks import callback_body
from imagegate.wire.task_view import UrlFor
from imagegate.wire.webhooks import signature_headers

log = logging.getLogger(__name__)

USER_AGENT = "imagegate-callback/0.1"
CALLBACK_ID_HEADER = "X-Imagegate-Callback-Id"
ATTEMPT_HEADER = "X-Imagegate-Attempt"

_JITTER = 0.1
_MIN_SLEEP_SECONDS = 0.01
_DRAIN_BYTES = 64 * 1024


class CallbackSender:
    """A background loop that sends due callbacks, at most ``concurrency`` at a time.

    ``tasks`` reads the finished task a body is rendered from, ``url_for`` signs the links to
    its files (the runtime's URL signer).
    """

    def __init__(
        self,
        outbox: Outbox,
        policy: UrlPolicy,
        *,
        tasks: TaskReader,
        url_for: UrlFor,
        secret_for: Callable[[str], Awaitable[str | None]],
        timeout: float,
        scheme_for: Callable[[str], Awaitable[str]] | None = None,
        max_attempts: int,
        backoff_base: float,
        backoff_max: float,
        lease_margin: float,
        poll_interval: float = 1.0,
        concurrency: int = 16,
    ) -> None:
        self.outbox = outbox
        self.policy = policy
        self.tasks = tasks
        self.url_for = url_for
        self.secret_for = secret_for
        # The account's signing scheme (accounts.model.WEBHOOK_SCHEMES); None: Kie's always.
        self.scheme_for = scheme_for
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        # How long a claim lasts: the send's own timeout plus ``lease_margin`` (the
        # callback_lease_margin_seconds setting), so the secret lookup and a slow database
        # cannot let a second pass send a row again while the first is in flight; a sender
        # killed mid-send leaves its rows to another sender after this long.
        self.lease_ms = int((timeout + lease_margin) * 1000)
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Spawn the background loop (call from inside the running event loop)."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._run(), name="imagegate-callbacks")

    def notify(self) -> None:
        """A task just ended with a callback to send: look for due rows now."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop and any send in flight, then close the HTTP client.

        A send cut short keeps its lease until it expires and is then sent again: callbacks
        are at-least-once, as with Kie (the same taskId may arrive twice).
        """
        # asyncio.wait, not awaiting the tasks: a cancel of stop() itself must stay a cancel.
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.wait([self._loop_task])
            self._loop_task = None
        for send in self._inflight:
            send.cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight))
        self._inflight.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -------------------------------------------------------------- passes

    async def deliver_due(self) -> int:
        """One pass: claim the due rows there is room for, send them, wait for all of them.

        Returns how many deliveries were attempted.
        """
        rows = await self._claim()
        if rows:
            await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _claim(self) -> list[CallbackRow]:
        room = self.concurrency - len(self._inflight)
        return await self.outbox.claim_due(room, self.lease_ms)

    async def _run(self) -> None:
        while True:
            try:
                rows = await self._claim()
                for row in rows:
                    send = asyncio.create_task(self._deliver(row))
                    self._inflight.add(send)
                    send.add_done_callback(self._sent)
                # A full batch may have left due rows behind; claim again once a slot frees.
                if rows and self._has_room():
                    continue
                await self._sleep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("callback sender pass failed; retrying")
                await asyncio.sleep(self.poll_interval)

    def _has_room(self) -> bool:
        return len(self._inflight) < self.concurrency

    def _sent(self, send: asyncio.Task[None]) -> None:
        self._inflight.discard(send)
        # A freed slot or a retry due soon: let the loop look again.
        self._wake.set()

    async def _sleep(self) -> None:
        """Until notify(), a freed slot, the next retry falling due, or poll_interval."""
        delay = self.poll_interval
        # With every slot busy, a due row has to wait for a freed slot (which wakes us).
        next_due = await self.outbox.next_due_at() if self._has_room() else None
        if next_due is not None:
            # The floor keeps a row on the edge of its lease from turning this into a spin.
            delay = max(_MIN_SLEEP_SECONDS, min(delay, (next_due - now_ms()) / 1000))
        if self._wake.is_set():
            self._wake.clear()
            return
        # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that lands as the
        # event fires, and stop() would then wait forever for this loop to end.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()
        self._wake.clear()

    # -------------------------------------------------------------- one delivery

    async def _deliver(self, row: CallbackRow) -> None:
        """Send one row and record the outcome; never raises (the loop must keep going)."""
        try:
            # Every line about this delivery carries the task's fields (logs/context.py).
            with log_context.task_context(row.task_id, row.account_id, row.model, row.engine):
                await self._attempt(row)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Recording the outcome failed (database): the lease expires and it is tried again.
            log.exception("callback for task %s: delivery failed unexpectedly", row.task_id)

    async def _attempt(self, row: CallbackRow) -> None:
        attempt = row.attempts + 1
        host = urlsplit(row.url).hostname or "?"
        status: int | None = None
        error: str | None = None
        began = time.monotonic()
        gone = False
        try:
            # One deadline for the whole attempt, DNS included, as Kie's 15 s is one deadline.
            async with asyncio.timeout(self.timeout):
                body = await self.body(row)
                if body is None:
                    gone = True
                else:
                    status = await self._send(row, body, attempt)
        except OutboundRefused as exc:
            # Retrying cannot make a refused URL acceptable: give up at once.
            metrics.CALLBACK_ATTEMPTS.labels(outcome="refused").inc()
            await self._give_up(row, None, f"refused: {exc.reason}", host, _ms_since(began))
            return
        except TimeoutError:
            error = f"timed out after {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = _describe(exc, row.url, host)
        except Exception as exc:
            # Counted as an attempt (rendering the body included), so a persistent bug ends in
            # 'dead' instead of a loop.
            log.exception("callback for task %s: unexpected error while sending", row.task_id)
            error = f"internal error: {type(exc).__name__}"

        if gone:
            # Nothing to render the body from (the row outlived its task): no retry can help.
            await self._give_up(row, None, "the task no longer exists", host, _ms_since(began))
            return
        if status is not None and 200 <= status < 300:
            metrics.CALLBACK_ATTEMPTS.labels(outcome="delivered").inc()
            await self.outbox.mark_delivered(row.id, status, _ms_since(began))
            log.info("callback for task %s delivered to %s (attempt %d, HTTP %d)",
                     row.task_id, host, attempt, status)
            return
        metrics.CALLBACK_ATTEMPTS.labels(outcome="failed").inc()
        if error is None:
            error = f"HTTP {status}"
            if status is not None and 300 <= status < 400:
                error += " (redirects are not followed)"
        if attempt >= self.max_attempts:
            await self._give_up(row, status, error, host, _ms_since(began))
            return
        delay = self.backoff_delay(attempt)
        await self.outbox.mark_failed(
            row.id, status, error, now_ms() + int(delay * 1000), _ms_since(began)
        )
        log.info("callback for task %s to %s failed (attempt %d: %s); retry in %.1f s",
                 row.task_id, host, attempt, error, delay)

    async def body(self, row: CallbackRow) -> bytes | None:
        """What the row sends: its stored body (a row from before migration 0007) or the
        task's callback rendered now in its surface's shape; None when the task is gone."""
        if row.body is not None:
            return row.body.encode()
        task = await self.tasks.get_task(row.task_id)
        if task is None:
            return None
        surface = row.surface if row.surface is not None else task.surface
        rendered = callback_body(surface, task, row.balance_milli or 0, self.url_for)
        return json.dumps(rendered).encode()

    async def _send(self, row: CallbackRow, body: bytes, attempt: int) -> int:
        """POST the body to the vetted URL; the HTTP status of the answer."""
        resolved = await self.policy.resolve(row.url)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            CALLBACK_ID_HEADER: str(row.id),
            ATTEMPT_HEADER: str(attempt),
        }
        secret = await self.secret_for(row.account_id)
        if secret:
            scheme = await self.scheme_for(row.account_id) if self.scheme_for else "kie"
            if scheme == "standard":
                # The row's id: the same on every retry of this delivery (a receiver
                # de-duplicates on it), another for a redelivery, which is a new row.
                headers.update(standard_webhooks.signature_headers(
                    f"msg_{row.id}_{row.task_id}", body, secret
                ))
            else:
                headers.update(signature_headers(row.task_id, secret))
        # Streamed: the answer's body is of no use here. A short one is drained so the
        # connection can serve the next callback to the same receiver; a long one is cut off
        # (closing the connection) rather than buffered.
        response = await send_pinned(
            self._http(), "POST", resolved, headers=headers,
            content=body, timeout=self.timeout, stream=True,
        )
        try:
            drained = 0
            async for chunk in response.aiter_raw():
                drained += len(chunk)
                if drained > _DRAIN_BYTES:
                    break
        finally:
            await response.aclose()
        return response.status_code

    def backoff_delay(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failed ones, with ±10% jitter."""
        # The exponent is capped so a large max_attempts cannot overflow the float.
        base = min(self.backoff_max, self.backoff_base * 2.0 ** min(max(attempts - 1, 0), 60))
        return base * random.uniform(1 - _JITTER, 1 + _JITTER)

    async def _give_up(
        self, row: CallbackRow, status: int | None, error: str, host: str, duration_ms: int
    ) -> None:
        await self.outbox.mark_failed(row.id, status, error, None, duration_ms)
        metrics.CALLBACKS_DEAD.inc()
        log.warning("callback for task %s to %s is dead after %d attempt(s): %s",
                    row.task_id, host, row.attempts + 1, error)

    def client(self) -> httpx.AsyncClient:
        """The HTTP client callbacks go out on (callbacks/events.py sends on it too)."""
        return self._http()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # trust_env off: a proxy from the environment would bypass the address pinning.
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_connections=self.concurrency * 2),
            )
        return self._client


def _ms_since(began: float) -> int:
    return int((time.monotonic() - began) * 1000)


def _describe(exc: httpx.HTTPError, url: str, host: str) -> str:
    """A short reason for a transport error, without the URL (its query may hold a token)."""
    text = str(exc) or type(exc).__name__
    if url in text:
        text = text.replace(url, host)
    return f"{type(exc).__name__}: {text}"[:300]
