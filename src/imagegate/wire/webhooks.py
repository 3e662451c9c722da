"""Kie's webhook signature: ``X-Webhook-Signature`` = base64(HMAC-SHA256(taskId.timestamp)),
signed by the sender and checked by the receiver (``verify``, with a replay window).

``verify`` checks either scheme an account may choose: Kie's (these headers) or Standard
Webhooks' (``webhook-id``/``webhook-timestamp``/``webhook-signature``, wire/standard_webhooks.py),
told apart by the headers the delivery carries. Standard Webhooks signs the raw body, so it
needs the bytes received, not their parsed JSON.

Standard library only: the client re-exports ``verify``, and it must not pull in the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from imagegate.errors import CallbackVerificationError
from imagegate.wire import standard_webhooks

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CallbackVerificationError",
    "sign",
    "signature_headers",
    "verify",
    "verify_callback",
    "verify_callback_or_raise",
]

TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"


def sign(task_id: str, timestamp: int, secret: str) -> str:
    """The signature of one callback: standard base64 of HMAC-SHA256 over ``taskId.timestamp``."""
    message = f"{task_id}.{timestamp}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_headers(task_id: str, secret: str, now: float | None = None) -> dict[str, str]:
    """The two headers that sign a callback for ``task_id``, timestamped ``now`` (Unix s)."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(task_id, timestamp, secret),
    }


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
    ``taskId.timestamp``), or its Standard Webhooks headers sign the raw ``body`` (the
    module's docstring), within ``tolerance_seconds`` of now."""
    return verify_callback(body, headers, secret, tolerance_seconds=tolerance_seconds, now=now)


def verify_callback(
    body: bytes | str | Mapping[str, Any],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """True if ``headers`` sign ``body`` with ``secret`` within ``tolerance_seconds`` of now.

    ``body`` is the raw request body or its parsed JSON; the signed task id is its
    ``data.taskId``. Kie documents no replay window; ``tolerance_seconds`` adds one.
    """
    try:
        verify_callback_or_raise(
            body, headers, secret, tolerance_seconds=tolerance_seconds, now=now
        )
    except CallbackVerificationError:
        return False
    return True


def verify_callback_or_raise(
    body: bytes | str | Mapping[str, Any],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> None:
    """Like :func:`verify_callback`, but raises CallbackVerificationError saying what failed."""
    if not secret:
        raise CallbackVerificationError("no secret to verify with")
    if _header(headers, standard_webhooks.SIGNATURE_HEADER) is not None:
        if not isinstance(body, bytes | str):
            raise CallbackVerificationError(
                "Standard Webhooks signs the raw body: pass the bytes received, not parsed JSON"
            )
        standard_webhooks.verify_or_raise(
            body, headers, secret, tolerance_seconds=tolerance_seconds, now=now
        )
        return
    raw_timestamp = _header(headers, TIMESTAMP_HEADER.lower())
    signature = _header(headers, SIGNATURE_HEADER.lower())
    if raw_timestamp is None or signature is None:
        raise CallbackVerificationError("X-Webhook-Timestamp or X-Webhook-Signature missing")
    try:
        timestamp = int(raw_timestamp.strip())
    except ValueError:
        raise CallbackVerificationError("X-Webhook-Timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise CallbackVerificationError("timestamp outside the tolerance window")
    expected = sign(_task_id(body), timestamp, secret).encode("ascii")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header is attacker input.
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise CallbackVerificationError("signature does not match")


def _header(headers: Mapping[str, str], lower_name: str) -> str | None:
    # Plain dicts are case-sensitive while HTTP header names are not.
    value = headers.get(lower_name)
    if value is not None:
        return value
    for name, candidate in headers.items():
        if name.lower() == lower_name:
            return candidate
    return None


def _task_id(body: bytes | str | Mapping[str, Any]) -> str:
    parsed: Any = body
    if isinstance(body, bytes | str):
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise CallbackVerificationError("body is not JSON") from None
    data = parsed.get("data") if isinstance(parsed, Mapping) else None
    task_id = data.get("taskId") if isinstance(data, Mapping) else None
    if not isinstance(task_id, str) or not task_id:
        raise CallbackVerificationError("body has no data.taskId")
    return task_id
