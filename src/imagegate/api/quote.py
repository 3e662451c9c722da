"""``POST /api/v1/jobs/quote``: the price of a createTask before running it (issue 22 point 4,
as Ideogram's ``dry_run``).

The body is a createTask body, checked by the very functions createTask uses
(``jobs.checked_request`` and ``jobs.check_servable``): what a create would refuse, the quote
refuses with the same code and message. Nothing is created or charged, no Idempotency-Key is
used, and it counts against the account's *query* rate limit, not the create one.

A balance short of the price is no refusal here: the quote answers ``affordable: false`` and
``balanceAfter`` negative (the balance minus the price), so a client learns both what it costs
and how much is missing; the create itself would answer 402. A key's spending caps (433) are
not judged by the quote.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.auth import authenticate
from imagegate.api.body import read_json_object
from imagegate.api.deps import services_of
from imagegate.api.envelope import success
from imagegate.api.jobs import check_servable, checked_request, naming_ignored
from imagegate.api.task_headers import task_options_of
from imagegate.catalog.pricing import milli_to_credits

router = APIRouter(tags=["jobs"])

_CREDITS = {"type": "number"}
QUOTE_DATA = {
    "type": "object",
    "required": ["model", "credits", "balance", "balanceAfter", "affordable"],
    "properties": {
        "model": {"type": "string"},
        "credits": {**_CREDITS, "description": "What the task would cost"},
        "balance": {**_CREDITS, "description": "The account's credits now"},
        "balanceAfter": {
            **_CREDITS,
            "description": "balance - credits; negative when the balance is short (a create"
            " would then be refused with 402)",
        },
        "affordable": {"type": "boolean", "description": "Whether balance >= credits"},
    },
}
_QUOTE = schemas.operation(
    schemas.responses(
        QUOTE_DATA,
        # No 402: a short balance is answered (affordable: false), not refused.
        errors=(400, 401, 403, 413, 422, 429),
        creates=True,  # the ignored fields are named as createTask names them
        example={"model": "ideogram/v3-reframe", "credits": 3.5, "balance": 100,
                 "balanceAfter": 96.5, "affordable": True},
    ),
    body=schemas.json_body(schemas.create_task_schema()),
    # Checked as the create checks them, so a quote refuses what the create would.
    parameters=list(schemas.CREATE_PARAMETERS),
)


@router.post("/api/v1/jobs/quote", openapi_extra=_QUOTE)
async def quote(request: Request) -> Response:
    """What a createTask with this body would cost and the balance after it; creates nothing."""
    services = services_of(request)
    account = await authenticate(request, services)
    await services.rate_limits.hit("query", account.id, account.query_rate)
    body = await read_json_object(request, services.settings.max_json_body_bytes)
    # The create's headers too: a quote refuses what the create would refuse.
    task_options_of(request, services.settings)
    checked = checked_request(body, services)
    await check_servable(services, checked, body)
    fresh = await services.store.get_account(account.id)
    balance = fresh.credits_milli if fresh else account.credits_milli
    return naming_ignored(success({
        "model": checked.model,
        "credits": milli_to_credits(checked.price_milli),
        "balance": milli_to_credits(balance),
        "balanceAfter": milli_to_credits(balance - checked.price_milli),
        "affordable": balance >= checked.price_milli,
    }), checked.ignored)
