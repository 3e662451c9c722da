"""The task a line of log is about: set by the worker while it runs a task and by the create
path once a task exists, read by the formatters (``taskId``, ``account``, ``model``,
``engine``); and the HTTP request it was written for (``requestId``, set by the API's
``RequestGuard`` for the whole of each request).

A ContextVar, not a logger adapter: every coroutine (and thread started through
``asyncio.to_thread``) gets its own copy, so the worker's concurrent slots never see each
other's task, and code deep in an engine logs with the task's fields without being handed them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_TASK: ContextVar[dict[str, str] | None] = ContextVar("imagegate_task", default=None)
_REQUEST_ID: ContextVar[str | None] = ContextVar("imagegate_request_id", default=None)


def current() -> dict[str, str]:
    """The fields of the task being worked on here (empty when none)."""
    return _TASK.get() or {}


def line_fields() -> dict[str, str]:
    """What the formatters add to a line: the request's id, then the task's fields."""
    request_id = _REQUEST_ID.get()
    return {"requestId": request_id, **current()} if request_id else current()


@contextlib.contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Lines written in the block (the request's handling) carry ``requestId``."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


def set_task(task_id: str, account: str, model: str, engine: str | None = None) -> None:
    """From here on in this context (the rest of a request, a worker slot's task), lines are
    about this task."""
    fields = {"taskId": task_id, "account": account, "model": model}
    if engine:
        fields["engine"] = engine
    _TASK.set(fields)


def set_engine(engine: str) -> None:
    """The engine now running the current task (a failover changes it)."""
    _TASK.set({**current(), "engine": engine})


@contextlib.contextmanager
def task_context(
    task_id: str, account: str, model: str, engine: str | None = None
) -> Iterator[None]:
    """``set_task`` for the duration of the block; the previous context after it."""
    fields = {"taskId": task_id, "account": account, "model": model}
    if engine:
        fields["engine"] = engine
    token = _TASK.set(fields)
    try:
        yield
    finally:
        _TASK.reset(token)
