"""The admin API under ``/api/admin/``: accounts, keys and credits. Needs the admin key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from imagegate.accounts.grants import MAX_CREDITS
from imagegate.api import schemas
from imagegate.api.admin_operations import AdminOperations
from imagegate.api.auth import require_admin
from imagegate.api.body import read_json_object
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.ratelimit import RATE_SCHEMA, parse_rate
from imagegate.api.services import Services
from imagegate.errors import NotFound, ValidationFailed

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])


class NewAccount(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    # As sent: the operations hold credits to accounts/grants.py's rule, which refuses what
    # pydantic's float would take (true as 1, "50" as 50, 0.0001 rounded to nothing).
    credits: Any = 0
    webhook_secret: str | None = Field(default=None, alias="webhookSecret", max_length=200)
    create_rate: str | None = Field(default=None, alias="createRate")
    query_rate: str | None = Field(default=None, alias="queryRate")

    model_config = {"populate_by_name": True}

    @field_validator("create_rate", "query_rate")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None:
            parse_rate(value)
        return value


async def get_operations(services: Services = Depends(get_services)) -> AdminOperations:
    """The operator's operations (api/admin_operations.py) over the app's stores, as a FastAPI
    dependency of the admin routes (async on purpose, as ``get_services``)."""
    return AdminOperations(services.store, services.keys, services.switches)


def _parse(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ValidationFailed(field, first["msg"]) from exc


_ADMIN_SECURITY = schemas.SECURITY
_ADMIN_ERRORS = (400, 401, 413, 422)
_CREDITS = {"type": "number", "description": "The new balance"}
_AMOUNT = (
    "A JSON number (not a string or a boolean) of at most 3 decimals: credits are kept in"
    " millicredits."
)
_NEW_ACCOUNT_BODY = schemas.json_body(
    {
        "type": "object", "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "credits": {"type": "number", "minimum": 0, "maximum": MAX_CREDITS, "default": 0,
                        "multipleOf": 0.001,
                        "description": f"The starting balance. {_AMOUNT}"},
            "webhookSecret": {"type": ["string", "null"], "maxLength": 200},
            "createRate": {**RATE_SCHEMA, "example": "20/10s"},
            "queryRate": {**RATE_SCHEMA, "example": "10/1s"},
        },
    },
    {"name": "acme", "credits": 100},
)


def _doc(
    data: dict[str, Any], body: dict[str, Any] | None = None, errors: tuple[int, ...] = (401,)
) -> dict[str, Any]:
    """The admin key goes where an account key would (Bearer or X-API-KEY)."""
    return schemas.operation(
        schemas.responses(data, errors=errors), body=body, security=_ADMIN_SECURITY
    )


@router.post(
    "/accounts", openapi_extra=_doc(schemas.ref("Account"), _NEW_ACCOUNT_BODY, _ADMIN_ERRORS)
)
async def create_account(
    request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Create an account and its key; the key is in the answer and nowhere else."""
    body = _parse(NewAccount, await read_json_object(request, 64 * 1024))
    return success(await ops.create_account(
        body.name, body.credits, body.webhook_secret, body.create_rate, body.query_rate
    ))


@router.get(
    "/accounts", openapi_extra=_doc({"type": "array", "items": schemas.ref("Account")})
)
async def list_accounts(ops: AdminOperations = Depends(get_operations)) -> Response:
    return success(await ops.list_accounts())


class CreditGrant(BaseModel):
    # As sent, for accounts/grants.py's rule (see NewAccount.credits).
    credits: Any


@router.post(
    "/accounts/{account_id}/credits",
    openapi_extra=_doc(
        _CREDITS,
        schemas.json_body(
            {"type": "object", "required": ["credits"], "properties": {
                "credits": {
                    "type": "number", "minimum": -MAX_CREDITS, "maximum": MAX_CREDITS,
                    "multipleOf": 0.001, "not": {"const": 0},
                    "description": (
                        "Credits to add; negative takes them back, down to a balance of 0"
                        f" (a larger debit is refused with 422). {_AMOUNT} Not 0."
                    ),
                }}},
            {"credits": 50},
        ),
        (*_ADMIN_ERRORS, 404),
    ),
)
async def grant_credits(
    account_id: str, request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Add credits (negative to take them back, never below a balance of 0); answers the new
    balance. A bad amount or a debit larger than the balance is a 422 naming ``credits``."""
    body = _parse(CreditGrant, await read_json_object(request, 64 * 1024))
    balance = await ops.grant_credits(account_id, body.credits)
    if balance is None:
        raise NotFound(f"Account not found: {account_id}")
    return success(balance)


_BREAKER = {
    "type": "object",
    "required": ["state", "failures", "openUntil"],
    "properties": {
        "state": {"type": "string", "enum": ["closed", "open", "half-open"]},
        "failures": {"type": "integer", "description": "Consecutive retryable failures"},
        "openUntil": {
            "type": ["string", "null"], "format": "date-time",
            "description": "While open: when a task may probe the engine again (UTC)",
        },
    },
}


@router.get(
    "/routes",
    openapi_extra=_doc(
        {
            "type": "object",
            "required": ["routes", "engines"],
            "properties": {
                "routes": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "{model: [engine names]} in failover order",
                },
                "engines": {
                    "type": "object",
                    "additionalProperties": _BREAKER,
                    "description": "{engine name: its circuit breaker}",
                },
                "providers": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["type", "baseUrl"],
                        "properties": {
                            "type": {"type": "string",
                                     "enum": ["upstream_kie", "upstream_ideogram"]},
                            "baseUrl": {"type": "string"},
                        },
                    },
                    "description": "{provider name: its type and base URL} (never its key)",
                },
            },
        }
    ),
)
async def routes(services: Services = Depends(get_services)) -> Response:
    """Which engines serve which model, in failover order, each engine's circuit breaker, and
    the upstream providers configured."""
    return success(
        {
            "routes": services.routing.describe(),
            "engines": {
                name: view.as_json() for name, view in services.routing.breakers().items()
            },
            "providers": services.routing.providers(),
        }
    )
