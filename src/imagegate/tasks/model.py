"""The rows the store hands out, as plain immutable values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imagegate.tasks.state import TaskState


@dataclass(frozen=True, slots=True)
class SpendCaps:
    """A key's spending caps in millicredits (None: no cap); Kie's 433 once one is reached.
    Spend is the price of the key's tasks created in the window, less their refunds."""

    hourly_milli: int | None = None
    daily_milli: int | None = None
    total_milli: int | None = None

    def __bool__(self) -> bool:
        return any(c is not None for c in (self.hourly_milli, self.daily_milli, self.total_milli))


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One of an account's API keys (table ``api_keys``); only the key's hash is kept."""

    id: str
    account_id: str
    name: str | None
    key_prefix: str
    created_at: int
    revoked_at: int | None
    expires_at: int | None
    caps: SpendCaps
    # Comma-separated addresses or CIDR networks the key is accepted from; None: anywhere.
    ip_allow: str | None
    # The id this key's spend is counted under: its own, or for a key made by a rotation the
    # first key of the chain (so the caps carry on across rotations; migration 0005).
    spend_key: str

    def valid_at(self, now: int) -> bool:
        """Not revoked, and not past ``expires_at`` (a rotated key's grace)."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @classmethod
    def from_row(cls, row: Any) -> ApiKey:
        return cls(
            id=row["id"],
            account_id=row["account_id"],
            name=row["name"],
            key_prefix=row["key_prefix"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            expires_at=row["expires_at"],
            caps=SpendCaps(row["hourly_cap_milli"], row["daily_cap_milli"],
                           row["total_cap_milli"]),
            ip_allow=row["ip_allow"],
            spend_key=row["spend_key_id"] or row["id"],
        )


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
    # The API key a request authenticated with (set by the key lookup, tasks/keys.py); None
    # for an account read by its id.
    key: ApiKey | None = None

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
    # The API key that creates the task (api_keys.id), and its caps, which the store checks
    # in the create transaction (tasks/caps.py) so that concurrent creates cannot overshoot.
    key_id: str | None = None
    caps: SpendCaps | None = None


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
