"""API keys: how they are made, hashed and turned into accounts.

A key is 240 random bits behind a readable ``ig_`` prefix. Only its SHA-256 is stored; a
random key needs no slow hash, and a fast one lets each request find its account by an index.
An account has one or more keys (table ``api_keys``); a request authenticates with one that is
neither revoked nor past its ``expires_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from imagegate.accounts.model import Account, ApiKey, SpendCaps
from imagegate.accounts.store import AccountStore, ApiKeyStore, NewKey
from imagegate.catalog.pricing import credits_to_milli
from imagegate.clock import now_ms

KEY_PREFIX = "ig_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(30)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keys_match(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


@dataclass(frozen=True, slots=True)
class AccountRequest:
    """What an operator asks for when creating an account and its key."""

    name: str
    credits: float = 0.0
    webhook_secret: str | None = None
    create_rate: str | None = None
    query_rate: str | None = None


def account_fields(request: AccountRequest, key: str) -> dict[str, Any]:
    """``AccountStore.create_account``'s arguments for ``request`` and its first key."""
    return {
        "name": request.name, "key_hash": hash_key(key), "key_prefix": key[:10],
        "credits_milli": credits_to_milli(request.credits),
        "webhook_secret": request.webhook_secret, "create_rate": request.create_rate,
        "query_rate": request.query_rate,
    }


async def create_account(store: AccountStore, request: AccountRequest) -> tuple[Account, str]:
    """Create an account with a fresh key; returns the account and the key (shown once)."""
    key = new_api_key()
    return await store.create_account(**account_fields(request, key)), key


@dataclass(frozen=True, slots=True)
class KeyLimits:
    """What an operator sets on a key: spending caps (credits), an allow-list, an expiry."""

    caps: SpendCaps = field(default_factory=SpendCaps)
    ip_allow: str | None = None
    expires_at: int | None = None


async def add_key(
    api_keys: ApiKeyStore, account_id: str, name: str | None, limits: KeyLimits = KeyLimits()
) -> tuple[ApiKey, str] | None:
    """A new key for the account: its row and the key itself (shown once); None when there
    is no such account."""
    key = new_api_key()
    row = await api_keys.add(
        NewKey(account_id, hash_key(key), key[:10], name, limits.caps, limits.ip_allow,
               limits.expires_at)
    )
    return None if row is None else (row, key)


async def rotate_key(
    api_keys: ApiKeyStore, key_id: str, grace_seconds: float
) -> tuple[ApiKey, ApiKey, str] | None:
    """Replace a key: (old row, new row, new key). The old key keeps working for
    ``grace_seconds`` (0: stops now) so clients can move to the new one; None if unknown."""
    key = new_api_key()
    rotated = await api_keys.rotate(key_id, hash_key(key), key[:10], int(grace_seconds * 1000))
    return None if rotated is None else (*rotated, key)


class KeyCache:
    """Accounts by key hash, remembered for ``ttl`` seconds.

    Every request authenticates; under load the indexed SELECTs behind it read through a large
    WAL and showed as 5-8 % of the server's time (py-spy). A key created, revoked, disabled or
    changed takes effect within ``ttl`` in every process (at once in the process that changed
    it: the admin API calls ``forget``). A rotated key's grace ends exactly at its
    ``expires_at``: validity is judged at each lookup, on the remembered row. Balances are
    never read from here: debits check them in their own transaction.
    """

    def __init__(
        self,
        store: AccountStore,
        api_keys: ApiKeyStore,
        ttl: float = 2.0,
        max_entries: int = 10_000,
    ) -> None:
        self.store = store
        self.api_keys = api_keys
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Account | None]] = {}

    async def lookup(self, key_hash: str) -> Account | None:
        """The key's account with ``key`` set to the key's row; None when the key is unknown,
        revoked or expired."""
        now = time.monotonic()
        hit = self._entries.get(key_hash)
        if hit is not None and hit[0] > now:
            account = hit[1]
        else:
            account = await self._read(key_hash)
            if len(self._entries) >= self.max_entries:
                # Random keys must not grow the cache without bound: start over.
                self._entries.clear()
            self._entries[key_hash] = (now + self.ttl, account)
        if account is None or account.key is None or not account.key.valid_at(now_ms()):
            return None
        return account

    async def _read(self, key_hash: str) -> Account | None:
        key = await self.api_keys.by_hash(key_hash)
        if key is None:
            return None
        account = await self.store.get_account(key.account_id)
        return None if account is None else replace(account, key=key)

    def forget(self) -> None:
        """Drop everything, e.g. after an admin changed an account."""
        self._entries.clear()
