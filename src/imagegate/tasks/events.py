"""What a task's transition asks of the rest of the system once it has committed: wake a worker,
wake the callback sender, stop a running engine, wake the task's live event streams, count a
metric.

The lifecycle (tasks/lifecycle.py) returns these as values; whoever made the move publishes them
to an ``EventSink``, which the runtime provides. So the lifecycle knows no worker, sender or
metric, and nothing is done for a move that did not commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from imagegate.tasks.model import Task


@dataclass(frozen=True, slots=True)
class TaskCreated:
    """A new task is waiting (not a repeat of an Idempotency-Key's request)."""

    task: Task


@dataclass(frozen=True, slots=True)
class TaskEnded:
    """A claimed task reached its final state; ``claimed`` is it as its claim returned it."""

    claimed: Task
    task: Task


@dataclass(frozen=True, slots=True)
class CallbackQueued:
    """The task's callback row is written and due now."""

    task_id: str


@dataclass(frozen=True, slots=True)
class CancelRequested:
    """The account asked a generating task to stop; its worker ends it at the engine's next
    step."""

    task_id: str


@dataclass(frozen=True, slots=True)
class TaskChanged:
    """The task's row changed in a way its live event streams show (claimed, generating,
    progress, cancelled, handed back): the streams re-read it (tasks/watch.py)."""

    task_id: str


Event = TaskCreated | TaskEnded | CallbackQueued | CancelRequested | TaskChanged


class EventSink(Protocol):
    """Acts on committed transitions' events (runtime.py wires it to the worker, the callback
    sender and the metrics)."""

    def publish(self, events: Iterable[Event]) -> None: ...


class NoEvents:
    """A sink that drops every event: for a lifecycle used where nothing listens (a test of
    the store, a one-off command)."""

    def publish(self, events: Iterable[Event]) -> None:
        del events  # nothing listens
