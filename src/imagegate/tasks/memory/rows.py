"""The in-memory database's rows that tasks/ reads back as values: a task with the columns the
lifecycle's values leave out (its lease, its place in the queue, the key that made it), an
Idempotency-Key, and a callback with its delivery so far."""

from __future__ import annotations

import json
from dataclasses import dataclass

from imagegate.tasks.model import Task
from imagegate.tasks.outbox import CallbackRow
from imagegate.tasks.state import TaskState
from imagegate.wire.surfaces import Surface


@dataclass(slots=True)
class TaskRow:
    """One task as table ``tasks`` holds it (``input`` as its JSON text, as stored)."""

    id: str
    account_id: str
    model: str
    state: TaskState
    param: str
    input: str
    callback_url: str | None
    price_milli: int
    create_time: int
    update_time: int
    priority: int
    fair_key: int
    key_id: str | None
    surface: Surface = Surface.JOBS
    result_json: str | None = None
    fail_code: str | None = None
    fail_msg: str | None = None
    progress: int = 0
    complete_time: int | None = None
    cost_time: int | None = None
    engine: str | None = None
    attempts: int = 0
    lease_owner: str | None = None
    lease_token: int = 0
    lease_expires_at: int | None = None
    cancel_requested: bool = False
    cancel_at: int | None = None
    result_retention_ms: int | None = None
    webhook_events: str | None = None

    def task(self) -> Task:
        """The row as the stores hand it out (a fresh ``input`` dict each time, as a read of
        the database gives)."""
        return Task(
            id=self.id, account_id=self.account_id, model=self.model, state=self.state,
            param=self.param, input=json.loads(self.input), callback_url=self.callback_url,
            result_json=self.result_json, fail_code=self.fail_code, fail_msg=self.fail_msg,
            progress=self.progress, price_milli=self.price_milli, create_time=self.create_time,
            update_time=self.update_time, complete_time=self.complete_time,
            cost_time=self.cost_time, engine=self.engine, attempts=self.attempts,
            lease_token=self.lease_token, surface=self.surface, cancel_at=self.cancel_at,
            result_retention_ms=self.result_retention_ms, webhook_events=self.webhook_events,
        )

    def end(self, state: TaskState, now: int) -> None:
        """The columns every terminal move sets: its state, when, and no lease any more."""
        self.state = state
        self.complete_time = now
        self.cost_time = now - self.create_time
        self.update_time = now
        self.lease_owner = None
        self.lease_expires_at = None


@dataclass(slots=True)
class KeyRow:
    """An account's Idempotency-Key (table ``idempotency_keys``)."""

    task_id: str
    request_hash: str
    created_ms: int
    expires_ms: int

    def __getitem__(self, column: str) -> object:
        """Read by column name, as tasks/idempotency.py's ``judge`` reads a database row."""
        return {"task_id": self.task_id, "request_hash": self.request_hash,
                "expires_ms": self.expires_ms}[column]


@dataclass(slots=True)
class CallbackEntry:
    """A task's callback and its delivery so far (table ``callbacks``): what the sender
    renders the body from (the task's surface, the balance right after the task)."""

    id: int
    task_id: str
    account_id: str
    url: str
    surface: Surface
    balance_milli: int
    next_attempt_at: int
    created_at: int
    state: str = "pending"  # pending | delivered | dead
    attempts: int = 0
    lease_expires_at: int | None = None
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: int | None = None

    def row(self, model: str = "", engine: str | None = None) -> CallbackRow:
        """The value the outbox hands out; ``model`` and ``engine`` only for a claim."""
        return CallbackRow(
            id=self.id, task_id=self.task_id, account_id=self.account_id, url=self.url,
            # No row in memory is from before migration 0007: none has a stored body.
            body=None, surface=self.surface, balance_milli=self.balance_milli,
            state=self.state, attempts=self.attempts,
            next_attempt_at=self.next_attempt_at, last_status=self.last_status,
            last_error=self.last_error, created_at=self.created_at,
            delivered_at=self.delivered_at, model=model, engine=engine,
        )
