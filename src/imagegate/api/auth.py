"""Who is calling: account keys (Bearer, X-API-KEY, Ideogram's Api-Key) and the admin key."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request

from imagegate.api.deps import get_runtime
from imagegate.errors import Unauthorized
from imagegate.runtime import Runtime
from imagegate.tasks.keys import hash_key
from imagegate.tasks.model import Account


def presented_key(request: Request) -> str | None:
    """The key a request carries, in any of the three headers the surfaces use."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or request.headers.get("api-key") or None


async def current_account(request: Request, runtime: Runtime = Depends(get_runtime)) -> Account:
    """The calling account, as a FastAPI dependency."""
    return await authenticate(request, runtime)


async def authenticate(request: Request, runtime: Runtime) -> Account:
    """The calling account; 401 when the key is missing, unknown or disabled."""
    key = presented_key(request)
    if not key:
        raise Unauthorized(
            "Authentication failed: no API key (send Authorization: Bearer YOUR_API_KEY)"
        )
    account = await runtime.keys.lookup(hash_key(key))
    if account is None or account.disabled:
        raise Unauthorized("Authentication failed: the API key is not valid")
    return account


async def require_admin(request: Request, runtime: Runtime = Depends(get_runtime)) -> None:
    key = presented_key(request)
    stored = runtime.admin_key_hash()
    if not key or stored is None or not hmac.compare_digest(hash_key(key), stored):
        raise Unauthorized("Authentication failed: the admin API needs the admin key")
