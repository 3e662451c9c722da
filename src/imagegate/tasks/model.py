"""The rows the store hands out, as plain immutable values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imagegate.tasks.state import TaskState

MILLI = 1000


def credits_to_milli(credits: float) -> int:
    """Credits as the integer millicredits the ledger keeps (3.5 credits → 3500)."""
    return round(credits * MILLI)


def milli_to_credits(milli: int) -> float | int:
    """Millicredits as the number Kie shows: an integer when whole, else a decimal."""
    return milli // MILLI if milli % MILLI == 0 else milli / MILLI


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    key_prefix: str
    credits_milli: int
    webhook_secret: str | None
    create_rate: str | None
    query_rate: str | None
    disabled: bool
    created_at: int

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(
            id=row["id"],
            name=row["name"],
            key_prefix=row["key_prefix"],
            credits_milli=row["credits_milli"],
            webhook_secret=row["webhook_secret"],
            create_rate=row["create_rate"],
            query_rate=row["query_rate"],
            disabled=bool(row["disabled"]),
            created_at=row["created_at"],
        )


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


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A create request's ``Idempotency-Key``: the key, the hash of the request it stands for
    (``idempotency.request_hash``) and how long it holds from its first use."""

    key: str
    request_hash: str
    window_ms: int


@dataclass(frozen=True, slots=True)
class Task:
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
        )
