"""The task rows the store hands out, as plain immutable values (accounts and keys:
accounts/model.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imagegate.accounts.model import SpendCaps
from imagegate.tasks.state import TaskState
from imagegate.wire.surfaces import Surface


@dataclass(frozen=True, slots=True)
class NewTask:
    """What the API hands the store to create a task."""

    id: str
    account_id: str
    model: str
    param: str  # the complete create request, as a JSON string
    input: dict[str, Any]  # validated, with defaults
    callback_url: str | None
    price_milli: int
    # Orders the account's own waiting tasks (higher first); see tasks/fairness.py.
    priority: int = 0
    # The API key that creates the task (api_keys.id), and its caps, which the store checks
    # in the create transaction (accounts/caps.py) so that concurrent creates cannot overshoot.
    key_id: str | None = None
    caps: SpendCaps | None = None
    # The API the task is created through: its callback is rendered in that API's shape.
    surface: Surface = Surface.JOBS
    # ``Cancel-After``: when (epoch ms) the task is cancelled if not finished (tasks/deadlines.py).
    cancel_at: int | None = None
    # ``X-Result-Retention``: how long its result files are kept, under the operator's
    # setting (None: the operator's setting).
    result_retention_ms: int | None = None
    # ``webhookEvents``: the callbacks asked for, comma separated (None: "completed" alone,
    # Kie's behaviour; the start and progress ones: callbacks/events.py).
    webhook_events: str | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A create request's ``Idempotency-Key``: the key, the hash of the request it stands for
    (``idempotency.request_hash``) and how long it holds from its first use."""

    key: str
    request_hash: str
    window_ms: int


@dataclass(frozen=True, slots=True)
class Task:
    """A task as the store keeps it: its request, state, result or failure, times and lease."""

    id: str
    account_id: str
    model: str
    state: TaskState
    param: str
    input: dict[str, Any]
    callback_url: str | None
    result_json: str | None
    fail_code: str | None
    fail_msg: str | None
    progress: int
    price_milli: int
    create_time: int
    update_time: int
    complete_time: int | None
    cost_time: int | None
    engine: str | None
    attempts: int
    lease_token: int
    # The API the task was created through (NewTask.surface).
    surface: Surface = Surface.JOBS
    # The request's deadline and result retention (NewTask.cancel_at, .result_retention_ms).
    cancel_at: int | None = None
    result_retention_ms: int | None = None
    webhook_events: str | None = None

    def notifies(self, event: str) -> bool:
        """Whether its callback URL is sent ``event`` ("start", "progress", "completed")."""
        if self.callback_url is None:
            return False
        return event == "completed" if self.webhook_events is None else (
            event in self.webhook_events.split(",")
        )

    @classmethod
    def from_row(cls, row: Any) -> Task:
        return cls(
            id=row["id"],
            account_id=row["account_id"],
            model=row["model"],
            state=TaskState(row["state"]),
            param=row["param"],
            input=json.loads(row["input"]),
            callback_url=row["callback_url"],
            result_json=row["result_json"],
            fail_code=row["fail_code"],
            fail_msg=row["fail_msg"],
            progress=row["progress"],
            price_milli=row["price_milli"],
            create_time=row["create_time"],
            update_time=row["update_time"],
            complete_time=row["complete_time"],
            cost_time=row["cost_time"],
            engine=row["engine"],
            attempts=row["attempts"],
            lease_token=row["lease_token"],
            surface=Surface(row["surface"]),
            cancel_at=row["cancel_at"],
            result_retention_ms=row["result_retention_ms"],
            webhook_events=row["webhook_events"],
        )
