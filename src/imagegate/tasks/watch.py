"""Who is watching which task: the in-process hub behind the live event streams
(``GET /api/v1/jobs/events``, api/task_events.py).

A stream waits on its task's ``asyncio.Event``; ``changed(task_id)`` sets the events of that
task's streams, and each re-reads the task row and sends what changed. The hub carries no
task data, only the wake-up: the row stays the one source of truth, so a wake-up that comes
twice or for nothing costs one indexed read and sends nothing.

Who calls ``changed``: this process's committed transitions (runtime.py's ``Dispatch``), and
in the PostgreSQL fleet the NOTIFYs other processes send on the task events channel
(``WakeRelay`` batches this process's own into few NOTIFYs). A task nobody watches costs a
dictionary miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator

log = logging.getLogger(__name__)

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more: a batch of ids stays below.
MAX_PAYLOAD = 7_000


class TaskWatch:
    """The streams open in this process, by task id."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watching(self, task_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``task_id`` may have changed, while inside (the caller clears
        it before each re-read, so a change during the read wakes it again)."""
        event = asyncio.Event()
        waiters = self._waiters.setdefault(task_id, set())
        waiters.add(event)
        try:
            yield event
        finally:
            waiters.discard(event)
            if not waiters:
                self._waiters.pop(task_id, None)

    def changed(self, task_id: str) -> None:
        """Wake every stream of ``task_id`` in this process."""
        for event in self._waiters.get(task_id, ()):
            event.set()

    def heard(self, payload: str) -> None:
        """A task events NOTIFY: the space-separated ids it names."""
        for task_id in payload.split():
            self.changed(task_id)

    @property
    def streams(self) -> int:
        """How many streams are open in this process."""
        return sum(len(waiters) for waiters in self._waiters.values())


class WakeRelay:
    """Tells the other processes of a fleet which tasks changed, through ``send`` (a NOTIFY).

    ``changed`` only records the id; one coroutine at a time sends what has gathered, many
    ids to a payload, so a worker finishing hundreds of tasks a second sends a few NOTIFYs,
    not one per move, and no transition waits on it. A NOTIFY that fails is logged and
    dropped: every stream re-reads its task on a timer too."""

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self.send = send
        self._pending: dict[str, None] = {}  # insertion-ordered set
        self._sending: asyncio.Task[None] | None = None

    def changed(self, task_id: str) -> None:
        self._pending[task_id] = None
        if self._sending is None:
            self._sending = asyncio.get_running_loop().create_task(self._send_all())

    async def _send_all(self) -> None:
        try:
            while self._pending:
                for payload in batches(self._take()):
                    try:
                        await self.send(payload)
                    except Exception:
                        log.warning("announcing task events failed; streams re-read on their timer",
                                    exc_info=True)
        finally:
            self._sending = None

    def _take(self) -> list[str]:
        ids = list(self._pending)
        self._pending.clear()
        return ids

    async def aclose(self) -> None:
        """Let the NOTIFY on its way end (the runtime stops)."""
        if self._sending is not None:
            with contextlib.suppress(Exception):
                await self._sending


def batches(task_ids: Iterable[str]) -> Iterator[str]:
    """The ids as space-separated payloads, each under ``MAX_PAYLOAD`` bytes."""
    batch: list[str] = []
    size = 0
    for task_id in task_ids:
        if batch and size + len(task_id) + 1 > MAX_PAYLOAD:
            yield " ".join(batch)
            batch, size = [], 0
        batch.append(task_id)
        size += len(task_id) + 1
    if batch:
        yield " ".join(batch)
