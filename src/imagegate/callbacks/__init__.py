"""Callbacks: the outbox and sender (server side, imported from their modules) and
``verify``, the receiver's check of a signed callback.

This file imports the standard-library verifier and the error tree (``imagegate.errors``, also
standard library only), so a receiver that imports ``imagegate.callbacks`` pulls in nothing else
of the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.callbacks.verifier import verify_callback
from imagegate.errors import CallbackVerificationError

__all__ = ["CallbackVerificationError", "verify", "verify_callback"]


def verify(
    body: bytes | str | Mapping[str, Any],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """True if the callback's ``X-Webhook-Timestamp`` and ``X-Webhook-Signature`` headers
    sign ``body`` (raw or parsed) with ``secret`` (Kie's scheme: base64 HMAC-SHA256 of
    ``taskId.timestamp``), within ``tolerance_seconds`` of now."""
    return verify_callback(body, headers, secret, tolerance_seconds=tolerance_seconds, now=now)

