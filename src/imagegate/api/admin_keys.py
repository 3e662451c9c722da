"""The admin API for API keys: list, create, revoke, rotate, set caps and allow-lists; and
turning an account off (every key of it) or on. Needs the admin key.

A key is in the answer that creates it (create, rotate) and nowhere else. A change takes
effect at once in the process that made it and within the key cache's TTL (2 s) in the other
processes of a fleet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from imagegate.accounts import ip_allow
from imagegate.accounts.caps import Spend
from imagegate.accounts.keys import KeyLimits, add_key, rotate_key
from imagegate.accounts.model import ApiKey, SpendCaps
from imagegate.api import schemas
from imagegate.api.admin import MAX_CREDITS, _parse
from imagegate.api.auth import require_admin
from imagegate.api.body import read_json_object, read_limited, with_body
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.catalog.pricing import credits_to_milli, milli_to_credits
from imagegate.clock import now_ms
from imagegate.errors import NotFound, ValidationFailed

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

# A rotated key keeps working this long by default: a day to move every client over.
DEFAULT_GRACE_SECONDS = 86_400
MAX_GRACE_SECONDS = 30 * 86_400
# The last millisecond of year 9999: past it a timestamp is a typo (or not milliseconds), and
# far past it no longer fits the column's 64-bit integer.
MAX_EXPIRES_AT = 253_402_300_799_999
_BODY_LIMIT = 64 * 1024


def _credits(milli: int | None) -> float | int | None:
    return None if milli is None else milli_to_credits(milli)


def key_status(key: ApiKey, now: int) -> str:
    if key.revoked_at is not None:
        return "revoked"
    return "active" if key.valid_at(now) else "expired"


def key_view(key: ApiKey, spend: Spend | None = None) -> dict[str, Any]:
    """A key as the admin API and ``imagegate admin keys`` show it (never the key itself)."""
    view: dict[str, Any] = {
        "id": key.id,
        "accountId": key.account_id,
        "name": key.name,
        "keyPrefix": key.key_prefix,
        "status": key_status(key, now_ms()),
        "createdAt": key.created_at,
        "revokedAt": key.revoked_at,
        "expiresAt": key.expires_at,
        "hourlyCap": _credits(key.caps.hourly_milli),
        "dailyCap": _credits(key.caps.daily_milli),
        "totalCap": _credits(key.caps.total_milli),
        "ipAllow": key.ip_allow.split(",") if key.ip_allow else None,
    }
    if spend is not None:
        view["spent"] = {
            "hourly": milli_to_credits(spend.hourly_milli),
            "daily": milli_to_credits(spend.daily_milli),
            "total": milli_to_credits(spend.total_milli),
        }
    return view


class Limits(BaseModel):
    """Caps in credits (null: none) and the allow-list (addresses/CIDRs; null or []: any)."""

    hourly_cap: float | None = Field(default=None, alias="hourlyCap", ge=0, le=MAX_CREDITS)
    daily_cap: float | None = Field(default=None, alias="dailyCap", ge=0, le=MAX_CREDITS)
    total_cap: float | None = Field(default=None, alias="totalCap", ge=0, le=MAX_CREDITS)
    ip_allow: list[str] | None = Field(default=None, alias="ipAllow", max_length=1000)

    model_config = {"populate_by_name": True}


class NewKeyBody(Limits):
    name: str | None = Field(default=None, max_length=200)
    # Epoch ms or ISO-8601; checked by expires_at_ms, which says what is wrong in its words.
    expires_at: Any = Field(default=None, alias="expiresAt")


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


class RotateBody(BaseModel):
    grace_seconds: float = Field(
        default=DEFAULT_GRACE_SECONDS, alias="graceSeconds", ge=0, le=MAX_GRACE_SECONDS
    )

    model_config = {"populate_by_name": True}


def allow_list(entries: list[str] | None) -> str | None:
    """The allow-list as stored; 422 naming ``ipAllow`` and the bad entry."""
    try:
        return ip_allow.normalize(",".join(entries) if entries else None)
    except ValueError as exc:
        raise ValidationFailed("ipAllow", str(exc)) from None


def merged(body: Limits, key: ApiKey | None) -> tuple[SpendCaps, str | None]:
    """The body's limits; a field the body leaves out keeps ``key``'s value."""
    sent = body.model_fields_set

    def cap(name: str, current: int | None) -> int | None:
        if name not in sent and key is not None:
            return current
        value = getattr(body, name)
        return None if value is None else credits_to_milli(value)

    caps = SpendCaps(
        cap("hourly_cap", key.caps.hourly_milli if key else None),
        cap("daily_cap", key.caps.daily_milli if key else None),
        cap("total_cap", key.caps.total_milli if key else None),
    )
    allowed = key.ip_allow if key is not None and "ip_allow" not in sent else allow_list(
        body.ip_allow
    )
    return caps, allowed


_LIMITS_SCHEMA = {
    "hourlyCap": {"type": ["number", "null"], "minimum": 0, "description": "Credits per hour"},
    "dailyCap": {"type": ["number", "null"], "minimum": 0, "description": "Credits per 24 h"},
    "totalCap": {"type": ["number", "null"], "minimum": 0, "description": "Credits in all"},
    "ipAllow": {"type": ["array", "null"], "items": {"type": "string"},
                "description": "Addresses or CIDR networks the key is accepted from"},
}
_KEY = {"type": "object", "description": "An API key (never the key itself)"}
_ERRORS = (400, 401, 404, 413, 422)


def _doc(data: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    return schemas.operation(
        schemas.responses(data, errors=_ERRORS), body=body, security=schemas.SECURITY
    )


async def optional_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, ``{}`` when there is none (every field has a default)."""
    raw = await read_limited(request, _BODY_LIMIT)
    if not raw.strip():
        return {}
    return await read_json_object(with_body(request, raw), _BODY_LIMIT)


async def _key_or_404(services: Services, key_id: str) -> ApiKey:
    key = await services.api_keys.get(key_id)
    if key is None:
        raise NotFound(f"API key not found: {key_id}")
    return key


@router.get("/keys", openapi_extra=_doc({"type": "array", "items": _KEY}))
async def list_keys(request: Request, services: Services = Depends(get_services)) -> Response:
    """Every key (``?accountId=`` for one account's), with what each spent."""
    account_id = request.query_params.get("accountId") or None
    keys = await services.api_keys.list(account_id)
    return success([key_view(key, await services.api_keys.spend(key)) for key in keys])


@router.post(
    "/accounts/{account_id}/keys",
    openapi_extra=_doc(_KEY, schemas.json_body(
        {"type": "object", "properties": {
            "name": {"type": ["string", "null"]},
            "expiresAt": {"type": ["integer", "string", "null"],
                          "description": "When the key stops working: epoch ms, or an ISO-8601"
                                         " time (UTC without an offset) [default: never]"},
            **_LIMITS_SCHEMA}},
        {"name": "ci", "dailyCap": 100, "ipAllow": ["203.0.113.0/24"],
         "expiresAt": "2030-01-31T00:00:00Z"},
    )),
)
async def create_key(
    account_id: str, request: Request, services: Services = Depends(get_services)
) -> Response:
    """Add a key to the account; the key is in the answer (``apiKey``) and nowhere else. With
    ``expiresAt`` the key stops working then (401, as an unknown key)."""
    body = _parse(NewKeyBody, await read_json_object(request, _BODY_LIMIT))
    caps, allowed = merged(body, None)
    try:
        expires_at = expires_at_ms(body.expires_at, now_ms())
    except ValueError as exc:
        raise ValidationFailed("expiresAt", str(exc)) from None
    made = await add_key(
        services.api_keys, account_id, body.name, KeyLimits(caps, allowed, expires_at)
    )
    if made is None:
        raise NotFound(f"Account not found: {account_id}")
    key, secret = made
    return success({**key_view(key), "apiKey": secret})


@router.post("/keys/{key_id}/revoke", openapi_extra=_doc(_KEY))
async def revoke_key(key_id: str, services: Services = Depends(get_services)) -> Response:
    """Revoke the key now: 401 for it from then on (other processes: within 2 s)."""
    key = await services.api_keys.revoke(key_id)
    if key is None:
        raise NotFound(f"API key not found: {key_id}")
    services.keys.forget()
    return success(key_view(key))


@router.post(
    "/keys/{key_id}/rotate",
    openapi_extra=_doc(_KEY, schemas.json_body(
        {"type": "object", "properties": {"graceSeconds": {
            "type": "number", "minimum": 0, "maximum": MAX_GRACE_SECONDS,
            "default": DEFAULT_GRACE_SECONDS}}},
        {"graceSeconds": 3600},
    )),
)
async def rotate(
    key_id: str, request: Request, services: Services = Depends(get_services)
) -> Response:
    """A new key in place of this one (same name, caps and allow-list); the old key keeps
    working for ``graceSeconds`` (default a day), then stops. Answers the new key, with
    ``apiKey``, and ``previous``, the old one."""
    body = _parse(RotateBody, await optional_object(request))
    old = await _key_or_404(services, key_id)
    if not old.valid_at(now_ms()):
        raise ValidationFailed(
            "keyId", f"the key is {key_status(old, now_ms())}; create a new key instead"
        )
    rotated = await rotate_key(services.api_keys, key_id, body.grace_seconds)
    if rotated is None:  # deleted in between: no delete exists, but say so rather than 500
        raise NotFound(f"API key not found: {key_id}")
    previous, new, secret = rotated
    services.keys.forget()
    return success({**key_view(new), "apiKey": secret, "previous": key_view(previous)})


@router.post(
    "/keys/{key_id}/caps",
    openapi_extra=_doc(_KEY, schemas.json_body(
        {"type": "object", "properties": _LIMITS_SCHEMA}, {"hourlyCap": 10, "totalCap": None},
    )),
)
async def set_caps(
    key_id: str, request: Request, services: Services = Depends(get_services)
) -> Response:
    """Change the key's caps and allow-list: a field sent replaces the value (null clears
    it), a field left out keeps it."""
    body = _parse(Limits, await read_json_object(request, _BODY_LIMIT))
    caps, allowed = merged(body, await _key_or_404(services, key_id))
    key = await services.api_keys.set_limits(key_id, caps, allowed)
    if key is None:
        raise NotFound(f"API key not found: {key_id}")
    services.keys.forget()
    return success(key_view(key, await services.api_keys.spend(key)))


async def _switch_account(services: Services, account_id: str, disabled: bool) -> Response:
    if not await services.api_keys.set_account_disabled(account_id, disabled):
        raise NotFound(f"Account not found: {account_id}")
    services.keys.forget()
    return success({"id": account_id, "disabled": disabled})


_SWITCHED = {"type": "object", "properties": {"id": {"type": "string"},
                                              "disabled": {"type": "boolean"}}}


@router.post("/accounts/{account_id}/disable", openapi_extra=_doc(_SWITCHED))
async def disable_account(account_id: str, services: Services = Depends(get_services)) -> Response:
    """Turn every key of the account off (401); its tasks already created still run."""
    return await _switch_account(services, account_id, True)


@router.post("/accounts/{account_id}/enable", openapi_extra=_doc(_SWITCHED))
async def enable_account(account_id: str, services: Services = Depends(get_services)) -> Response:
    """Turn a disabled account's keys on again (those not revoked or expired)."""
    return await _switch_account(services, account_id, False)
