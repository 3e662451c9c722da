"""Accounts, their API keys and spending caps as the stores hand them out (credits in the
ledger's unit, integer millicredits: catalog/pricing.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


# The webhook signing schemes an account may choose (accounts.webhook_scheme): Kie's HMAC
# headers (the default) or Standard Webhooks' (wire/standard_webhooks.py).
WEBHOOK_SCHEMES = ("kie", "standard")


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
    # The API key a request authenticated with (set by the key lookup, accounts/keys.py); None
    # for an account read by its id.
    key: ApiKey | None = None
    # How its callbacks are signed (WEBHOOK_SCHEMES): Kie's headers or Standard Webhooks'.
    webhook_scheme: str = "kie"

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
            webhook_scheme=row["webhook_scheme"],
        )
