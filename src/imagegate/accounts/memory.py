"""Accounts, their ledger and their API keys in memory: ``AccountStore`` and ``ApiKeyStore``
with the SQLite store's semantics, for tests and for a server that keeps nothing.

The rows live in an ``AccountRows`` object, which the in-memory task store (tasks/memory/)
extends into one database shared by every memory store of a backend, so that a task's debit or
refund moves these same balances. Every method runs to its end without awaiting: on the event
loop that makes it one atomic step, as a transaction is, and a step that refuses (402, 433, an
unknown account) checks everything before it changes anything, so it leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from imagegate.accounts.caps import DAY_MS, HOUR_MS, Spend
from imagegate.accounts.grants import grant_fits
from imagegate.accounts.model import Account, ApiKey, SpendCaps
from imagegate.accounts.store import NewKey
from imagegate.clock import now_ms
from imagegate.errors import GrantRefused, InternalError


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One change of a balance (table ``credit_ledger``)."""

    id: int
    account_id: str
    task_id: str | None
    reason: str  # debit | refund | grant
    delta_milli: int
    created_at: int

    def as_dict(self) -> dict[str, Any]:
        """The row as ``AccountStore.ledger`` gives it."""
        return {"task_id": self.task_id, "reason": self.reason,
                "delta_milli": self.delta_milli, "created_at": self.created_at}


class AccountRows:
    """The accounts' rows: accounts, API keys and the credit ledger, with the uniqueness the
    schema gives them (a key hash once; a task's debit once, its refund once)."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.account_hashes: dict[str, str] = {}  # accounts.key_hash → account id
        self.keys: dict[str, ApiKey] = {}
        self.key_hashes: dict[str, str] = {}  # api_keys.key_hash → key id
        self.ledger_rows: list[LedgerRow] = []
        # (task_id, reason) → delta: the schema's unique pair, and a task's refund looked up.
        self.task_ledger: dict[tuple[str, str], int] = {}

    def charges(self, account_id: str, key_id: str, since: int) -> Iterable[tuple[int, int]]:
        """The key's tasks created since ``since``: (create time, price less its refund). The
        tasks are the task store's rows (tasks/memory/database.py overrides this); accounts
        alone have none."""
        del account_id, key_id, since
        return ()

    def add_ledger(
        self, account_id: str, task_id: str | None, reason: str, delta_milli: int, now: int
    ) -> bool:
        """Append a ledger row; False (nothing written) when the task has one for ``reason``
        already."""
        if task_id is not None:
            if (task_id, reason) in self.task_ledger:
                return False
            self.task_ledger[(task_id, reason)] = delta_milli
        self.ledger_rows.append(LedgerRow(
            len(self.ledger_rows) + 1, account_id, task_id, reason, delta_milli, now
        ))
        return True

    def credit(self, account_id: str, delta_milli: int) -> int | None:
        """Move the balance by ``delta_milli``; the new balance, None if no account."""
        account = self.accounts.get(account_id)
        if account is None:
            return None
        balance = account.credits_milli + delta_milli
        self.accounts[account_id] = replace(account, credits_milli=balance)
        return balance

    def insert_key(self, new: NewKey, key_id: str, now: int) -> ApiKey:
        """A key's row (the caller checked its account); a hash taken is refused."""
        if new.key_hash in self.key_hashes:
            raise InternalError("an API key with this hash exists already")
        key = ApiKey(
            id=key_id, account_id=new.account_id, name=new.name, key_prefix=new.key_prefix,
            created_at=now, revoked_at=None, expires_at=new.expires_at, caps=new.caps,
            ip_allow=new.ip_allow, spend_key=new.spend_key_id or key_id,
        )
        self.keys[key_id] = key
        self.key_hashes[new.key_hash] = key_id
        return key

    def spend(self, account_id: str, key_id: str, now: int, since: int = 0) -> Spend:
        """What the key's tasks created since ``since`` cost, by window (accounts/caps.py)."""
        hourly = daily = total = 0
        for created, net in self.charges(account_id, key_id, since):
            total += net
            if created >= now - DAY_MS:
                daily += net
            if created >= now - HOUR_MS:
                hourly += net
        return Spend(hourly, daily, total)


class MemoryAccounts:
    """``AccountStore`` over ``AccountRows`` (the in-memory task store builds on it)."""

    def __init__(self, rows: AccountRows) -> None:
        self.rows = rows

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
        """The account, its first key (whose id is the account's) and the grant of its first
        credits, in one step."""
        rows = self.rows
        if key_hash in rows.account_hashes or key_hash in rows.key_hashes:
            raise InternalError("an account with this key hash exists already")
        now = now_ms()
        account = Account(
            id=uuid.uuid4().hex, name=name, key_prefix=key_prefix, credits_milli=credits_milli,
            webhook_secret=webhook_secret, create_rate=create_rate, query_rate=query_rate,
            disabled=False, created_at=now,
        )
        rows.accounts[account.id] = account
        rows.account_hashes[key_hash] = account.id
        rows.insert_key(NewKey(account.id, key_hash, key_prefix, "first key"), account.id, now)
        if credits_milli:
            rows.add_ledger(account.id, None, "grant", credits_milli, now)
        return account

    async def account_by_key_hash(self, key_hash: str) -> Account | None:
        account_id = self.rows.account_hashes.get(key_hash)
        return None if account_id is None else self.rows.accounts.get(account_id)

    async def get_account(self, account_id: str) -> Account | None:
        return self.rows.accounts.get(account_id)

    async def list_accounts(self) -> list[Account]:
        return sorted(self.rows.accounts.values(), key=lambda account: account.created_at)

    async def grant_credits(self, account_id: str, delta_milli: int) -> int | None:
        """Add (or with a negative delta, take) credits; the new balance, None if no account;
        ``GrantRefused`` for a balance it would take below zero or past its most."""
        account = self.rows.accounts.get(account_id)
        if account is None:
            return None
        if not grant_fits(account.credits_milli, delta_milli):
            raise GrantRefused(account.credits_milli, delta_milli)
        balance = self.rows.credit(account_id, delta_milli)
        self.rows.add_ledger(account_id, None, "grant", delta_milli, now_ms())
        return balance

    async def ledger(self, account_id: str) -> list[dict[str, Any]]:
        return [row.as_dict() for row in self.rows.ledger_rows if row.account_id == account_id]

    async def has_accounts(self) -> bool:
        return bool(self.rows.accounts)


class MemoryApiKeys:
    """``ApiKeyStore`` over ``AccountRows``."""

    def __init__(self, rows: AccountRows) -> None:
        self.rows = rows

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        key_id = self.rows.key_hashes.get(key_hash)
        return None if key_id is None else self.rows.keys.get(key_id)

    async def get(self, key_id: str) -> ApiKey | None:
        return self.rows.keys.get(key_id)

    async def list(self, account_id: str | None = None) -> list[ApiKey]:
        """Every key (of ``account_id`` when given), oldest first."""
        return sorted(
            (key for key in self.rows.keys.values()
             if account_id is None or key.account_id == account_id),
            key=lambda key: (key.created_at, key.id),
        )

    async def add(self, new: NewKey) -> ApiKey | None:
        """Add a key to the account; None when there is no such account."""
        if new.account_id not in self.rows.accounts:
            return None
        return self.rows.insert_key(new, uuid.uuid4().hex, now_ms())

    async def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke the key now (a second revoke keeps the first time); None if unknown."""
        key = self.rows.keys.get(key_id)
        if key is None:
            return None
        if key.revoked_at is None:
            key = self.rows.keys[key_id] = replace(key, revoked_at=now_ms())
        return key

    async def rotate(
        self, key_id: str, new_hash: str, new_prefix: str, grace_ms: int
    ) -> tuple[ApiKey, ApiKey] | None:
        """Replace the key: a new key with the same name, caps, allow-list, expiry and spend
        (``NewKey.succeeding``), and the old one valid for ``grace_ms`` more; None if
        unknown."""
        before = self.rows.keys.get(key_id)
        if before is None:
            return None
        now = now_ms()
        new = NewKey.succeeding(before, new_hash, new_prefix)
        added = self.rows.insert_key(new, uuid.uuid4().hex, now)
        # A rotated key ends at the end of its grace, or sooner when it was to expire before.
        end = now + grace_ms
        if before.expires_at is None or before.expires_at > end:
            self.rows.keys[key_id] = replace(before, expires_at=end)
        return self.rows.keys[key_id], added

    async def set_limits(
        self, key_id: str, caps: SpendCaps, ip_allow: str | None
    ) -> ApiKey | None:
        """Replace the key's caps and allow-list; None if unknown."""
        key = self.rows.keys.get(key_id)
        if key is None:
            return None
        key = self.rows.keys[key_id] = replace(key, caps=caps, ip_allow=ip_allow)
        return key

    async def set_webhook(
        self, account_id: str, scheme: str, secret: str | None, *, keep_secret: bool
    ) -> bool:
        """The account's webhook scheme and (unless kept) secret; False if no such account."""
        account = self.rows.accounts.get(account_id)
        if account is None:
            return False
        self.rows.accounts[account_id] = replace(
            account, webhook_scheme=scheme,
            webhook_secret=account.webhook_secret if keep_secret else secret,
        )
        return True

    async def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Turn every key of the account off (or on again); False if no such account."""
        account = self.rows.accounts.get(account_id)
        if account is None:
            return False
        self.rows.accounts[account_id] = replace(account, disabled=disabled)
        return True

    async def spend(self, key: ApiKey) -> Spend:
        """What the key spent in the last hour, day, and in all, with the keys it replaced."""
        return self.rows.spend(key.account_id, key.spend_key, now_ms())
