"""Kie's account endpoint: ``GET /api/v1/chat/credit`` answers the balance as ``data``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from imagegate.accounts.model import Account
from imagegate.api import schemas
from imagegate.api.auth import current_account
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.catalog.pricing import milli_to_credits

router = APIRouter(tags=["account"])


@router.get(
    "/api/v1/chat/credit",
    openapi_extra=schemas.operation(
        schemas.responses({"type": "number", "description": "Credits left"}, errors=(401,),
                          example=100)
    ),
)
async def credit(
    account: Account = Depends(current_account), services: Services = Depends(get_services)
) -> Response:
    """The account's remaining credits."""
    fresh = await services.store.get_account(account.id)
    return success(milli_to_credits(fresh.credits_milli if fresh else 0))
