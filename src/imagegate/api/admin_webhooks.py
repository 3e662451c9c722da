"""The admin API's webhook setting of an account (issue 22 point 6):
``POST /api/admin/accounts/{account_id}/webhook`` with ``{"scheme": "kie" | "standard",
"secret"?: string | null}``. ``kie`` signs callbacks with Kie's ``X-Webhook-Timestamp`` and
``X-Webhook-Signature``; ``standard`` with Standard Webhooks' ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` (wire/standard_webhooks.py). ``secret`` left
out keeps the account's secret; null removes it (callbacks unsigned). Needs the admin key."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.admin import get_operations
from imagegate.api.admin_operations import AdminOperations
from imagegate.api.auth import require_admin
from imagegate.api.body import read_json_object
from imagegate.api.envelope import success
from imagegate.errors import NotFound, ValidationFailed

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

_BODY = {
    "type": "object", "required": ["scheme"], "additionalProperties": False,
    "properties": {
        "scheme": {"type": "string", "enum": ["kie", "standard"],
                   "description": "kie: Kie's HMAC headers; standard: Standard Webhooks"},
        "secret": {
            "type": ["string", "null"], "minLength": 1, "maxLength": 200,
            "description": "The signing secret (for standard, a whsec_<base64> secret as"
            " Standard Webhooks libraries read it; any other is used as its UTF-8 bytes);"
            " null: none (unsigned); left out: unchanged",
        },
    },
}
_DOC = schemas.operation(
    schemas.responses(schemas.ref("Account"), errors=(400, 401, 404, 413, 422)),
    body=schemas.json_body(_BODY, {"scheme": "standard",
                                   "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
    security=schemas.SECURITY,
)


@router.post("/accounts/{account_id}/webhook", openapi_extra=_DOC)
async def set_webhook(
    account_id: str, request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Choose how the account's callbacks are signed, and set or remove its secret."""
    body = await read_json_object(request, 64 * 1024)
    unknown = sorted(set(body) - {"scheme", "secret"})
    if unknown:
        raise ValidationFailed(unknown[0], "is no field of this body (scheme, secret)")
    scheme = body.get("scheme")
    if not isinstance(scheme, str):
        raise ValidationFailed("scheme", "is required: kie or standard")
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise ValidationFailed("secret", "must be a string or null")
    view = await ops.set_webhook(account_id, scheme, secret, keep_secret="secret" not in body)
    if view is None:
        raise NotFound(f"Account not found: {account_id}")
    return success(view)
