"""Who is calling: account keys (Bearer, X-API-KEY, Ideogram's Api-Key) and the admin key."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request

from imagegate.accounts import ip_allow
from imagegate.accounts.keys import hash_key
from imagegate.accounts.model import Account
from imagegate.api.deps import get_services
from imagegate.api.services import Services
from imagegate.errors import Unauthorized

# The headers a key may come in, as the 401 of a conflict names them.
_KEY_HEADERS = (("authorization", "Authorization: Bearer"), ("x-api-key", "X-API-KEY"),
                ("api-key", "Api-Key"))


def presented_key(request: Request) -> str | None:
    """The key a request carries, in any of the three headers the surfaces use (None when
    it carries none). The same key sent more than once is that key; two different keys are
    a 401, whichever of them is valid: answering for one of them would let a client that
    sends the wrong one beside a right one believe its wrong key works."""
    keys: set[str] = set()
    labels: list[str] = []  # the headers that carried a key, in _KEY_HEADERS's order
    for header, label in _KEY_HEADERS:
        for value in request.headers.getlist(header):
            if header == "authorization":
                # Another scheme (Basic, ...) carries no key of ours: ignored, as before.
                scheme, _, value = value.partition(" ")
                if scheme.lower() != "bearer":
                    continue
                if not value.strip():
                    continue  # "Bearer" alone: Authorization is shared with other schemes
            # X-API-KEY and Api-Key carry nothing but a key: sent blank, it is a wrong key,
            # which beside a valid one is a conflict (401), never silently passed over.
            keys.add(value.strip())
            if label not in labels:
                labels.append(label)
    if len(keys) > 1:
        raise Unauthorized(
            "Authentication failed: the request carries different API keys"
            f" ({', '.join(labels)}); send one key"
        )
    return next(iter(keys), None) or None  # only a blank key header: no key at all


async def current_account(request: Request, services: Services = Depends(get_services)) -> Account:
    """The calling account, as a FastAPI dependency."""
    return await authenticate(request, services)


# How each surface's documentation tells a client to send its key, for the 401 of a request
# without one: Kie's Bearer token, Ideogram's Api-Key header (all three are accepted anywhere).
SEND_BEARER = "Authorization: Bearer YOUR_API_KEY"
SEND_API_KEY = "Api-Key: YOUR_API_KEY"


async def authenticate(
    request: Request, services: Services, *, send: str = SEND_BEARER
) -> Account:
    """The calling account (its ``key`` set); 401 when the key is missing, unknown, revoked,
    expired or disabled, or not accepted from the caller's address (its IP allow-list).
    ``send`` is the header the missing key's message asks for (the surface's own).

    The allow-list refusal is a 401 rather than a 403: Kie documents 401 for every problem of
    a key and no 403, and a client cannot fix either without the operator."""
    key = presented_key(request)
    if not key:
        raise Unauthorized(f"Authentication failed: no API key (send {send})")
    account = await services.keys.lookup(hash_key(key))
    if account is None or account.disabled:
        raise Unauthorized("Authentication failed: the API key is not valid")
    if account.key is not None and account.key.ip_allow is not None:
        # uvicorn puts the X-Forwarded-For address here for a trusted proxy (ip_allow.py).
        host = request.client.host if request.client else None
        if not ip_allow.allows(account.key.ip_allow, host):
            raise Unauthorized(
                f"Authentication failed: this API key is not accepted from {host}"
                " (its IP allow-list)"
            )
    return account


async def require_metrics_token(
    request: Request, services: Services = Depends(get_services)
) -> None:
    """/metrics's guard: the ``metrics_token`` when the operator set one, else nothing."""
    token = services.settings.metrics_token
    if not token:
        return
    key = presented_key(request) or ""
    if not hmac.compare_digest(key.encode(), token.encode()):
        raise Unauthorized(
            "Authentication failed: /metrics needs the metrics token"
            " (send Authorization: Bearer METRICS_TOKEN)"
        )


async def require_admin(request: Request, services: Services = Depends(get_services)) -> None:
    key = presented_key(request)
    stored = await services.admin_key_hash()
    if not key or stored is None or not hmac.compare_digest(hash_key(key), stored):
        raise Unauthorized("Authentication failed: the admin API needs the admin key")
