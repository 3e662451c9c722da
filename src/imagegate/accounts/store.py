"""The account stores' protocols: accounts and their ledger (``AccountStore``) and their API
keys (``ApiKeyStore``), with the values they take. db/sqlite/ and db/postgres/ implement them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from imagegate.accounts.caps import Spend
from imagegate.accounts.model import Account, ApiKey, SpendCaps


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key to add to an account: its hash and prefix (the key itself is never stored), and
    the limits it starts with."""

    account_id: str
    key_hash: str
    key_prefix: str
    name: str | None = None
    caps: SpendCaps = field(default_factory=SpendCaps)
    ip_allow: str | None = None
    expires_at: int | None = None
    # A rotation's new key: the chain's first key, whose spend it carries on (ApiKey.spend_key).
    spend_key_id: str | None = None

    @classmethod
    def succeeding(cls, old: ApiKey, key_hash: str, key_prefix: str) -> NewKey:
        """The key that replaces ``old`` in a rotation: its name, caps, allow-list and expiry,
        and its spend so far (``old`` as read before its grace was set)."""
        return cls(old.account_id, key_hash, key_prefix, old.name, old.caps, old.ip_allow,
                   old.expires_at, old.spend_key)

    def values(self, key_id: str, now: int) -> tuple[object, ...]:
        """The row's values in the key insert's order (db/)."""
        return (key_id, self.account_id, self.name, self.key_hash, self.key_prefix, now,
                self.expires_at, self.caps.hourly_milli, self.caps.daily_milli,
                self.caps.total_milli, self.ip_allow, self.spend_key_id)


def limit_values(caps: SpendCaps, ip_allow: str | None, key_id: str) -> tuple[object, ...]:
    """The key-limits update's values (db/)."""
    return (caps.hourly_milli, caps.daily_milli, caps.total_milli, ip_allow, key_id)




class AccountStore(Protocol):
    """Accounts, their balance and the credit ledger."""

    async def create_account(
        self,
        *,
        name: str,
        key_hash: str,
        key_prefix: str,
        credits_milli: int,
        webhook_secret: str | None = None,
        create_rate: str | None = None,
        query_rate: str | None = None,
    ) -> Account:
        """The account, its first key and the grant of its first credits, in one transaction."""
        ...

    async def account_by_key_hash(self, key_hash: str) -> Account | None: ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def list_accounts(self) -> list[Account]: ...

    async def grant_credits(self, account_id: str, delta_milli: int) -> int | None:
        """Add (or with a negative delta, take) credits and write the ledger row; the new
        balance, None if no account. A grant that would leave the balance below zero (a debit
        larger than it) or above ``grants.MAX_BALANCE_MILLI`` raises ``GrantRefused`` with the
        balance and changes nothing; the check and the move are one atomic step, so
        concurrent debits can never take a balance below zero together."""
        ...

    async def ledger(self, account_id: str) -> list[dict[str, Any]]:
        """The account's ledger rows (task_id, reason, delta_milli, created_at), oldest first."""
        ...

    async def has_accounts(self) -> bool: ...


class ApiKeyStore(Protocol):
    """An account's API keys: find one by its hash, add, revoke, rotate, set its limits, and
    turn an account's keys off at once."""

    async def by_hash(self, key_hash: str) -> ApiKey | None: ...

    async def get(self, key_id: str) -> ApiKey | None: ...

    async def list(self, account_id: str | None = None) -> list[ApiKey]:
        """Every key (of ``account_id`` when given), oldest first."""
        ...

    async def add(self, new: NewKey) -> ApiKey | None:
        """Add a key to the account; None when there is no such account."""
        ...

    async def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke the key now (a second revoke keeps the first time); None if unknown."""
        ...

    async def rotate(
        self, key_id: str, new_hash: str, new_prefix: str, grace_ms: int
    ) -> tuple[ApiKey, ApiKey] | None:
        """Replace the key: a new key with the same name, caps, allow-list, expiry and spend
        (``NewKey.succeeding``), the old one valid for ``grace_ms`` more. (old, new) in one
        transaction; None if unknown."""
        ...

    async def set_limits(
        self, key_id: str, caps: SpendCaps, ip_allow: str | None
    ) -> ApiKey | None:
        """Replace the key's caps and allow-list; None if unknown."""
        ...

    async def set_webhook(
        self, account_id: str, scheme: str, secret: str | None, *, keep_secret: bool
    ) -> bool:
        """Set how the account's callbacks are signed (``WEBHOOK_SCHEMES``) and, unless
        ``keep_secret``, its webhook secret (None: unsigned); False if no such account."""
        ...

    async def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Turn every key of the account off (or on again); False if no such account."""
        ...

    async def spend(self, key: ApiKey) -> Spend:
        """What the key spent in the last hour, day, and in all, with the keys it replaced."""
        ...
