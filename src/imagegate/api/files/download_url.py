"""``/api/v1/common/download-url``: a fresh signed link for a file of the caller's, in the jobs
envelope."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from imagegate.accounts.model import Account
from imagegate.api import schemas
from imagegate.api.auth import current_account
from imagegate.api.body import read_json_object
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.clock import now_ms
from imagegate.errors import ValidationFailed

router = APIRouter(tags=["files"])


@router.post(
    "/api/v1/common/download-url",
    openapi_extra=schemas.operation(
        schemas.responses(
            {"type": "string", "description": "A fresh signed link, valid 20 minutes"},
            errors=(400, 401, 413, 422),
        ),
        body=schemas.json_body(
            {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}
        ),
    ),
)
async def download_url(
    request: Request,
    account: Account = Depends(current_account),
    services: Services = Depends(get_services),
) -> Response:
    """A fresh 20-minute link for a file this server made or stored for the caller."""
    body = await read_json_object(request, services.settings.max_json_body_bytes)
    url = body.get("url")
    if url is None or url == "":
        raise ValidationFailed("url", "is required")
    if not isinstance(url, str):
        raise ValidationFailed("url", "must be a string")
    key = services.signer.key_of_own_url(url.strip())
    stored = await services.files.get(key) if key is not None else None
    # Another account's file reads exactly like a foreign URL: nothing about it is revealed.
    if stored is None or stored.account_id != account.id or stored.expires_at <= now_ms():
        raise ValidationFailed(
            "url", "is not a current file link of this server for this account"
            " (only files generated or uploaded here can be downloaded)"
        )
    return success(fresh_link(services, stored.key))


def fresh_link(services: Services, key: str) -> str:
    """A new signed link to ``key``, valid ``download_url_minutes`` (Kie's 20) from now."""
    expires = now_ms() + int(services.settings.download_url_minutes * 60_000)
    return services.signer.url(key, expires)
