"""imagegate's account additions as the wire shows them: a row of ``GET /api/v1/jobs/list``, the
``cancelTask`` answer, ``GET /api/v1/usage`` and a task's callback deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from imagegate.catalog.pricing import milli_to_credits
from imagegate.wire.jobs import record_data
from imagegate.wire.states import TaskState
from imagegate.wire.task_view import TaskView, UrlFor


class UsageView(Protocol):
    """One model on one UTC day (``imagegate.tasks.usage.UsageRow``)."""

    @property
    def day(self) -> int: ...  # epoch ms of the day's start, UTC
    @property
    def model(self) -> str: ...
    @property
    def tasks(self) -> int: ...
    @property
    def succeeded(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def running(self) -> int: ...
    @property
    def credits_milli(self) -> int: ...


class CallbackView(Protocol):
    """A task's callback row, as far as its deliveries show it."""

    @property
    def state(self) -> str: ...  # pending | delivered | dead
    @property
    def next_attempt_at(self) -> int: ...
    @property
    def delivered_at(self) -> int | None: ...


class AttemptView(Protocol):
    """One attempt to deliver a callback."""

    @property
    def attempt(self) -> int: ...
    @property
    def at(self) -> int: ...
    @property
    def status(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def duration_ms(self) -> int: ...


def listed(task: TaskView, url_for: UrlFor) -> dict[str, Any]:
    """A row of the list: recordInfo's ``data``, and what the task costs (nothing once it
    failed or was cancelled: refunded)."""
    cost = 0 if task.state is TaskState.FAIL else task.price_milli
    row = record_data(task, url_for)
    del row["queuePosition"]  # a count per row would cost a query each: recordInfo's alone
    return {**row, "consumeCredits": milli_to_credits(cost)}


def task_page(
    tasks: Sequence[TaskView], next_cursor: str | None, url_for: UrlFor
) -> dict[str, Any]:
    """A page of the list, newest first; ``nextCursor`` pages on (null on the last)."""
    return {"tasks": [listed(task, url_for) for task in tasks], "nextCursor": next_cursor}


def cancelled(task_id: str, state: TaskState, ended: bool) -> dict[str, Any]:
    """cancelTask's ``data``: the task's state after the request, and whether it has ended."""
    return {"taskId": task_id, "state": state.value, "canceled": ended}


def usage_data(first: dt.date, last: dt.date, rows: Sequence[UsageView]) -> dict[str, Any]:
    """``GET /api/v1/usage``'s ``data``: the days ``first`` to ``last``, a row per model and
    day, and the credits in all."""
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": [
            {"date": dt.datetime.fromtimestamp(r.day / 1000, dt.UTC).date().isoformat(),
             "model": r.model, "tasks": r.tasks, "succeeded": r.succeeded, "failed": r.failed,
             "running": r.running, "credits": milli_to_credits(r.credits_milli)}
            for r in rows
        ],
        "totalCredits": milli_to_credits(sum(r.credits_milli for r in rows)),
    }


def deliveries(
    task: TaskView, row: CallbackView | None, attempts: Sequence[AttemptView]
) -> dict[str, Any]:
    """The task's callback (``row``; None when it asked for none) and every attempt to
    deliver it."""
    return {
        "taskId": task.id,
        "url": task.callback_url,
        "state": row.state if row is not None else "none",
        "nextAttemptAt": row.next_attempt_at if row is not None and row.state == "pending"
        else None,
        "deliveredAt": row.delivered_at if row is not None else None,
        "attempts": [
            {"attempt": a.attempt, "at": a.at, "status": a.status, "error": a.error,
             "durationMs": a.duration_ms}
            for a in attempts
        ],
    }
