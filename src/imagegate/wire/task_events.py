"""A task's live events as Server-Sent Events (``GET /api/v1/jobs/events``): which events a
new reading of the task row gives, their ids, and their bytes on the wire. Pure: the route
(api/task_events.py) reads the rows and writes the bytes.

Events: ``state`` on every state change (and once at the start, the current state),
``progress`` when progress moves while generating, ``record`` (recordInfo's ``data``) once
the task is finished, after which the stream ends. An event's id comes from the row it was
read from: its ``updateTime`` (milliseconds, moved by every write) times ten plus the kind,
so ids grow along a task's events in every process of a fleet, and ``Last-Event-ID`` means
the same thing to whichever process a client reconnects to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from imagegate.wire.states import TaskState

RETRY_MS = 2000  # how long an EventSource waits before reconnecting
KEEP_ALIVE = b": keep-alive\n\n"
_KIND = {"state": 0, "progress": 1, "record": 2}


class TaskRow(Protocol):
    """What the events read of a task."""

    @property
    def id(self) -> str: ...
    @property
    def state(self) -> TaskState: ...
    @property
    def progress(self) -> int: ...
    @property
    def update_time(self) -> int: ...


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One event: its id, name and JSON data."""

    id: int
    event: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        """The event as the stream carries it (the JSON on one line)."""
        body = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.event}\ndata: {body}\n\n".encode()


def preamble() -> bytes:
    """The stream's first bytes: the reconnect delay."""
    return f"retry: {RETRY_MS}\n\n".encode()


class Shown:
    """What one stream has sent so far, turning each reading of the task into the events the
    client has not seen. ``after``: the client's ``Last-Event-ID`` when it resumes."""

    def __init__(self, after: int | None = None) -> None:
        self.after = after
        self.last_id = after if after is not None else -1
        self.state: TaskState | None = None
        self.progress: int | None = None

    def events(self, task: TaskRow, record: Callable[[], dict[str, Any]]) -> list[TaskEvent]:
        """The events this reading of ``task`` adds; ``record`` makes recordInfo's data
        (called only once the task is finished)."""
        out: list[TaskEvent] = []
        first = self.state is None
        base = task.update_time * 10
        if task.state is not self.state:
            # On a resume, the current state only when the row is newer than what was seen.
            if not (first and self.after is not None and base <= self.after):
                out.append(self._event(base, "state", {
                    "taskId": task.id, "state": task.state.value, "progress": task.progress,
                    "updateTime": task.update_time,
                }))
        elif task.progress != self.progress and task.state is TaskState.GENERATING:
            out.append(self._event(base, "progress", {"taskId": task.id,
                                                      "progress": task.progress}))
        self.state, self.progress = task.state, task.progress
        if task.state.is_terminal:
            # Always, on a resume too: the final record is what a client waits for.
            out.append(self._event(base, "record", record()))
        return out

    def _event(self, base: int, name: str, data: dict[str, Any]) -> TaskEvent:
        # Strictly increasing within a stream, even for two writes in one millisecond.
        self.last_id = max(base + _KIND[name], self.last_id + 1)
        return TaskEvent(self.last_id, name, data)


def parse_last_event_id(value: str | None) -> int | None:
    """A ``Last-Event-ID`` as this server gives ids (a non-negative integer); None when
    absent; ValueError for anything else."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise ValueError(value)
    return int(value)
