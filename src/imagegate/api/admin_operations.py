"""The operator's controls, written once: ``AdminOperations``.

It lists, creates, tops up and turns off accounts; adds, revokes, rotates and limits API keys;
and reads and sets the service's switches (maintenance, models turned off). The admin routes
(api/admin.py, admin_keys.py, admin_service.py) answer with what it returns, and
``imagegate admin ...`` prints it (the runtime opens one on the configured database for a
command: launch.py). It works through the protocols only, so it runs over any store.

Each operation returns the views the admin API shows (api/admin_views.py, plain JSON values),
None where the account or key does not exist (each caller says so in its own words), and
raises ``ValidationFailed`` naming the API's field for a value out of its spec. A change to
keys or accounts takes effect at once in this process (the key cache is dropped) and within
the cache's TTL (2 s) in the other processes of a fleet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from imagegate.accounts import ip_allow
from imagegate.accounts.grants import grant_milli, initial_milli, refusal
from imagegate.accounts.keys import AccountRequest, KeyCache, KeyLimits, add_key, create_account
from imagegate.accounts.keys import rotate_key as new_key_for
from imagegate.accounts.model import WEBHOOK_SCHEMES, ApiKey, SpendCaps
from imagegate.accounts.store import AccountStore
from imagegate.api.admin_views import (
    account_view,
    key_status,
    key_view,
    maintenance_view,
    models_view,
)
from imagegate.api.ratelimit import parse_rate
from imagegate.catalog import all_models, get_model
from imagegate.catalog.pricing import credits_to_milli, milli_to_credits
from imagegate.clock import now_ms
from imagegate.errors import CallbackVerificationError, GrantRefused, ValidationFailed
from imagegate.tasks.switches import ServiceSwitches
from imagegate.wire import standard_webhooks

# The last millisecond of year 9999: past it a timestamp is a typo (or not milliseconds), and
# far past it no longer fits the column's 64-bit integer.
MAX_EXPIRES_AT = 253_402_300_799_999
# A key's limits by the admin API's names: caps in credits (None: no cap), the allow-list's
# entries (addresses or CIDR networks; None or []: any address).
CAP_FIELDS = ("hourlyCap", "dailyCap", "totalCap")
LIMIT_FIELDS = (*CAP_FIELDS, "ipAllow")


class AdminOperations:
    """The operator's operations over an account store, the key cache (whose ``api_keys``
    holds the keys' rows) and the service's switches."""

    def __init__(
        self, accounts: AccountStore, keys: KeyCache, switches: ServiceSwitches
    ) -> None:
        self.accounts = accounts
        self.keys = keys
        self.api_keys = keys.api_keys
        self.switches = switches

    # -------------------------------------------------------------- accounts

    async def list_accounts(self) -> list[dict[str, Any]]:
        return [account_view(a) for a in await self.accounts.list_accounts()]

    async def create_account(
        self,
        name: str,
        credits: object = 0,
        webhook_secret: str | None = None,
        create_rate: str | None = None,
        query_rate: str | None = None,
    ) -> dict[str, Any]:
        """A new account and its first key: its view, with the key itself as ``apiKey``
        (shown once; only its hash is kept). ``credits`` follows accounts/grants.py's rule
        (a JSON number, 0 or more, at most 3 decimals). A rate must read like ``20/10s``."""
        milli = checked_credits(initial_milli, credits)
        for field, rate in (("createRate", create_rate), ("queryRate", query_rate)):
            if rate is not None:
                check_rate(field, rate)
        account, key = await create_account(
            self.accounts,
            AccountRequest(name, milli_to_credits(milli), webhook_secret, create_rate, query_rate),
        )
        return {**account_view(account), "apiKey": key}

    async def grant_credits(self, account_id: str, credits: object) -> float | int | None:
        """Add credits (negative: take them back, down to zero); the new balance, None
        without the account. ``credits`` follows accounts/grants.py's rule (a JSON number,
        not zero, at most 3 decimals); a debit larger than the balance is refused naming
        ``credits`` and saying the balance, and changes nothing (the store checks it in the
        same step that moves the balance)."""
        delta = checked_credits(grant_milli, credits)
        try:
            balance = await self.accounts.grant_credits(account_id, delta)
        except GrantRefused as refused:
            raise ValidationFailed(
                "credits", refusal(refused.balance_milli, refused.delta_milli)
            ) from None
        return None if balance is None else milli_to_credits(balance)

    async def set_webhook(
        self, account_id: str, scheme: str, secret: str | None = None, *, keep_secret: bool = True
    ) -> dict[str, Any] | None:
        """How the account's callbacks are signed: ``scheme`` "kie" (Kie's headers) or
        "standard" (Standard Webhooks), and unless ``keep_secret`` the secret (None: unsigned;
        a Standard Webhooks ``whsec_`` secret must be base64 after its prefix). The account's
        view, None without the account; 422 naming ``scheme`` or ``secret``."""
        if scheme not in WEBHOOK_SCHEMES:
            raise ValidationFailed("scheme", f"must be one of {', '.join(WEBHOOK_SCHEMES)}")
        if not keep_secret and secret is not None:
            if not secret or len(secret) > 200:
                raise ValidationFailed("secret", "must be 1 to 200 characters, or null")
            try:
                standard_webhooks.key_bytes(secret)
            except CallbackVerificationError as exc:
                raise ValidationFailed("secret", str(exc)) from None
        if not await self.api_keys.set_webhook(account_id, scheme, secret,
                                               keep_secret=keep_secret):
            return None
        account = await self.accounts.get_account(account_id)
        return account_view(account) if account else None

    async def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Turn every key of the account off (401) or on again; False without the account."""
        if not await self.api_keys.set_account_disabled(account_id, disabled):
            return False
        self.keys.forget()
        return True

    # -------------------------------------------------------------- keys

    async def list_keys(self, account_id: str | None = None) -> list[dict[str, Any]]:
        """Every key (or one account's), with what each spent."""
        keys = await self.api_keys.list(account_id)
        return [key_view(key, await self.api_keys.spend(key)) for key in keys]

    async def add_key(
        self,
        account_id: str,
        name: str | None = None,
        limits: Mapping[str, Any] | None = None,
        expires_at: Any = None,
    ) -> dict[str, Any] | None:
        """A new key for the account with ``limits`` (``LIMIT_FIELDS``; one left out: none)
        and an expiry (``expires_at_ms``): its view with the key itself as ``apiKey``; None
        without the account."""
        caps, allowed = merged_limits(limits or {}, None)
        try:
            expiry = expires_at_ms(expires_at, now_ms())
        except ValueError as exc:
            raise ValidationFailed("expiresAt", str(exc)) from None
        made = await add_key(self.api_keys, account_id, name, KeyLimits(caps, allowed, expiry))
        if made is None:
            return None
        key, secret = made
        return {**key_view(key), "apiKey": secret}

    async def revoke_key(self, key_id: str) -> dict[str, Any] | None:
        """Revoke the key now (401 for it from then on); its view, None if unknown."""
        key = await self.api_keys.revoke(key_id)
        if key is None:
            return None
        self.keys.forget()
        return key_view(key)

    async def rotate_key(self, key_id: str, grace_seconds: float) -> dict[str, Any] | None:
        """A new key in place of this one (same name, caps and allow-list); the old one keeps
        working for ``grace_seconds``, then stops. The new key's view with ``apiKey``, and
        ``previous``, the old one's; None if unknown. A revoked or expired key is refused
        (field ``keyId``): a new key is made instead."""
        old = await self.api_keys.get(key_id)
        if old is None:
            return None
        now = now_ms()
        if not old.valid_at(now):
            raise ValidationFailed(
                "keyId", f"the key is {key_status(old, now)}; create a new key instead"
            )
        rotated = await new_key_for(self.api_keys, key_id, grace_seconds)
        if rotated is None:  # deleted in between: no delete exists, but say so
            return None
        previous, new, secret = rotated
        self.keys.forget()
        return {**key_view(new), "apiKey": secret, "previous": key_view(previous)}

    async def set_limits(
        self, key_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Change the key's caps and allow-list: a field of ``changes`` (``LIMIT_FIELDS``)
        replaces the value (None clears it), a field left out keeps it. Its view with what it
        spent; None if unknown."""
        key = await self.api_keys.get(key_id)
        if key is None:
            return None
        caps, allowed = merged_limits(changes, key)
        updated = await self.api_keys.set_limits(key_id, caps, allowed)
        if updated is None:
            return None
        self.keys.forget()
        return key_view(updated, await self.api_keys.spend(updated))

    # -------------------------------------------------------------- switches

    async def maintenance(self) -> dict[str, Any]:
        return maintenance_view(await self.switches.read())

    async def set_maintenance(self, on: bool, message: str | None = None) -> dict[str, Any]:
        """Maintenance on: createTask answers 455 (HTTP 503) within the switches' TTL;
        running tasks finish and queries answer. Off: back."""
        return maintenance_view(await self.switches.set_maintenance(on, message))

    async def models(self) -> list[dict[str, Any]]:
        return models_view(await self.switches.read())

    async def set_model(
        self, model: str, enabled: bool, reason: str | None = None
    ) -> list[dict[str, Any]]:
        """Turn a model of the catalog off (505, HTTP 403, with ``reason``) or on; every
        model's switch after it. An unknown model is refused (field ``model``), naming the
        known ones."""
        if get_model(model) is None:
            known = ", ".join(sorted(m.name for m in all_models()))
            raise ValidationFailed("model", f"unknown model {model!r} (known models: {known})")
        return models_view(await self.switches.set_model(model, enabled, reason))


def checked_credits(rule: Callable[[object], int], credits: object) -> int:
    """``credits`` in millicredits by ``rule`` (accounts/grants.py); ``ValidationFailed``
    naming ``credits`` with the rule's words."""
    try:
        return rule(credits)
    except ValueError as exc:
        raise ValidationFailed("credits", str(exc)) from None


def check_rate(field: str, rate: str) -> None:
    """Refuse a rate limit that is not ``N/Ws``, ``N/Wm`` or ``N/Wh`` (``ValidationFailed``
    naming ``field``)."""
    try:
        parse_rate(rate)
    except ValueError as exc:
        raise ValidationFailed(field, str(exc)) from None


def allow_list(entries: list[str] | None) -> str | None:
    """The allow-list as stored; ``ValidationFailed`` naming ``ipAllow`` and the bad entry."""
    try:
        return ip_allow.normalize(",".join(entries) if entries else None)
    except ValueError as exc:
        raise ValidationFailed("ipAllow", str(exc)) from None


def merged_limits(
    changes: Mapping[str, Any], key: ApiKey | None
) -> tuple[SpendCaps, str | None]:
    """The caps (millicredits) and allow-list of ``changes``; a field left out keeps
    ``key``'s value (none without a key)."""
    current = (
        (key.caps.hourly_milli, key.caps.daily_milli, key.caps.total_milli)
        if key is not None else (None, None, None)
    )
    caps = SpendCaps(*(
        (None if changes[field] is None else credits_to_milli(changes[field]))
        if field in changes else old
        for field, old in zip(CAP_FIELDS, current, strict=True)
    ))
    if "ipAllow" in changes or key is None:
        return caps, allow_list(changes.get("ipAllow"))
    return caps, key.ip_allow


def expires_at_ms(value: Any, now: int) -> int | None:
    """An expiry as the API and ``imagegate admin keys create --expires-at`` take it: epoch
    milliseconds (the API's times, e.g. ``createdAt``), as a number or a string of digits,
    or an ISO-8601 time (without an offset it is UTC); None for none. It must lie in the
    future. ``ValueError`` says what is wrong."""
    if value is None:
        return None
    # ASCII digits only: str.isdigit() also takes "²", which int() then refuses.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be epoch milliseconds or an ISO-8601 time")
    if isinstance(value, str):
        ms = _iso_ms(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError("epoch milliseconds must be a whole number")
        ms = int(value)
    else:
        ms = value
    if ms <= now:
        raise ValueError(f"must be in the future, in epoch milliseconds (got {ms}, now is {now})")
    if ms > MAX_EXPIRES_AT:
        raise ValueError("is past the year 9999 (epoch milliseconds expected)")
    return ms


def _iso_ms(value: str) -> int:
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value[:60]!r} is neither epoch milliseconds nor an ISO-8601 time"
            " (e.g. 2030-01-31T12:00:00Z)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return round(when.timestamp() * 1000)
