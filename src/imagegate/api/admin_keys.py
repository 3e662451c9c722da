"""The admin API for API keys: list, create, revoke, rotate, set caps and allow-lists; and
turning an account off (every key of it) or on. Needs the admin key.

A key is in the answer that creates it (create, rotate) and nowhere else. A change takes
effect at once in the process that made it and within the key cache's TTL (2 s) in the other
processes of a fleet.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from imagegate.accounts.grants import MAX_CREDITS
from imagegate.api import schemas
from imagegate.api.admin import _parse, get_operations
from imagegate.api.admin_operations import MAX_EXPIRES_AT, AdminOperations
from imagegate.api.auth import require_admin
from imagegate.api.body import read_json_object, read_limited, with_body
from imagegate.api.envelope import success
from imagegate.errors import NotFound

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

# A rotated key keeps working this long by default: a day to move every client over.
DEFAULT_GRACE_SECONDS = 86_400
MAX_GRACE_SECONDS = 30 * 86_400
_BODY_LIMIT = 64 * 1024


class Limits(BaseModel):
    """Caps in credits (null: none) and the allow-list (addresses/CIDRs; null or []: any)."""

    hourly_cap: float | None = Field(default=None, alias="hourlyCap", ge=0, le=MAX_CREDITS)
    daily_cap: float | None = Field(default=None, alias="dailyCap", ge=0, le=MAX_CREDITS)
    total_cap: float | None = Field(default=None, alias="totalCap", ge=0, le=MAX_CREDITS)
    ip_allow: list[str] | None = Field(default=None, alias="ipAllow", max_length=1000)

    model_config = {"populate_by_name": True}

    def changes(self) -> dict[str, Any]:
        """The limits the body sent, by their API names (admin_operations.LIMIT_FIELDS); a
        field left out is not there."""
        sent = self.model_fields_set & set(Limits.model_fields)
        return self.model_dump(by_alias=True, include=sent)


class NewKeyBody(Limits):
    name: str | None = Field(default=None, max_length=200)
    # Epoch ms or ISO-8601; checked by admin_operations.expires_at_ms, in its own words.
    expires_at: Any = Field(default=None, alias="expiresAt")


class RotateBody(BaseModel):
    grace_seconds: float = Field(
        default=DEFAULT_GRACE_SECONDS, alias="graceSeconds", ge=0, le=MAX_GRACE_SECONDS
    )

    model_config = {"populate_by_name": True}


# An IPv4 network in CIDR form (IPv6 networks such as 2001:db8::/32 are taken too).
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_NETWORK = rf"^({_OCTET}\.){{3}}{_OCTET}/(3[0-2]|[12]?[0-9])$"
_CAP = {"type": ["number", "null"], "minimum": 0, "maximum": MAX_CREDITS}
_LIMITS_SCHEMA = {
    "hourlyCap": {**_CAP, "description": "Credits per hour"},
    "dailyCap": {**_CAP, "description": "Credits per 24 h"},
    "totalCap": {**_CAP, "description": "Credits in all"},
    "ipAllow": {"type": ["array", "null"], "maxItems": 1000, "items": {
                    "type": "string", "anyOf": [
                        {"format": "ipv4"}, {"format": "ipv6"}, {"pattern": _IPV4_NETWORK},
                    ]},
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


@router.get("/keys", openapi_extra=_doc({"type": "array", "items": _KEY}))
async def list_keys(
    request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Every key (``?accountId=`` for one account's), with what each spent."""
    return success(await ops.list_keys(request.query_params.get("accountId") or None))


@router.post(
    "/accounts/{account_id}/keys",
    openapi_extra=_doc(_KEY, schemas.json_body(
        {"type": "object", "properties": {
            "name": {"type": ["string", "null"], "maxLength": 200},
            "expiresAt": {
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": MAX_EXPIRES_AT},
                    {"type": "string", "format": "date-time"},
                    {"type": "null"},
                ],
                "description": "When the key stops working, in the future: epoch ms, or an"
                               " ISO-8601 time (UTC without an offset) [default: never]",
            },
            **_LIMITS_SCHEMA}},
        {"name": "ci", "dailyCap": 100, "ipAllow": ["203.0.113.0/24"],
         "expiresAt": "2030-01-31T00:00:00Z"},
    )),
)
async def create_key(
    account_id: str, request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Add a key to the account; the key is in the answer (``apiKey``) and nowhere else. With
    ``expiresAt`` the key stops working then (401, as an unknown key)."""
    body = _parse(NewKeyBody, await read_json_object(request, _BODY_LIMIT))
    made = await ops.add_key(account_id, body.name, body.changes(), body.expires_at)
    if made is None:
        raise NotFound(f"Account not found: {account_id}")
    return success(made)


@router.post("/keys/{key_id}/revoke", openapi_extra=_doc(_KEY))
async def revoke_key(key_id: str, ops: AdminOperations = Depends(get_operations)) -> Response:
    """Revoke the key now: 401 for it from then on (other processes: within 2 s)."""
    key = await ops.revoke_key(key_id)
    if key is None:
        raise NotFound(f"API key not found: {key_id}")
    return success(key)


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
    key_id: str, request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """A new key in place of this one (same name, caps and allow-list); the old key keeps
    working for ``graceSeconds`` (default a day), then stops. Answers the new key, with
    ``apiKey``, and ``previous``, the old one."""
    body = _parse(RotateBody, await optional_object(request))
    rotated = await ops.rotate_key(key_id, body.grace_seconds)
    if rotated is None:
        raise NotFound(f"API key not found: {key_id}")
    return success(rotated)


@router.post(
    "/keys/{key_id}/caps",
    openapi_extra=_doc(_KEY, schemas.json_body(
        {"type": "object", "properties": _LIMITS_SCHEMA}, {"hourlyCap": 10, "totalCap": None},
    )),
)
async def set_caps(
    key_id: str, request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Change the key's caps and allow-list: a field sent replaces the value (null clears
    it), a field left out keeps it."""
    body = _parse(Limits, await read_json_object(request, _BODY_LIMIT))
    key = await ops.set_limits(key_id, body.changes())
    if key is None:
        raise NotFound(f"API key not found: {key_id}")
    return success(key)


async def _switch_account(ops: AdminOperations, account_id: str, disabled: bool) -> Response:
    if not await ops.set_account_disabled(account_id, disabled):
        raise NotFound(f"Account not found: {account_id}")
    return success({"id": account_id, "disabled": disabled})


_SWITCHED = {"type": "object", "properties": {"id": {"type": "string"},
                                              "disabled": {"type": "boolean"}}}


@router.post("/accounts/{account_id}/disable", openapi_extra=_doc(_SWITCHED))
async def disable_account(
    account_id: str, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Turn every key of the account off (401); its tasks already created still run."""
    return await _switch_account(ops, account_id, True)


@router.post("/accounts/{account_id}/enable", openapi_extra=_doc(_SWITCHED))
async def enable_account(
    account_id: str, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Turn a disabled account's keys on again (those not revoked or expired)."""
    return await _switch_account(ops, account_id, False)
