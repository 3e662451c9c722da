"""Standard Webhooks signing (https://www.standardwebhooks.com), the scheme an account may
choose instead of Kie's (issue 22 point 6):

- ``webhook-id``: the message's id, the same on every retry of one delivery (a receiver
  de-duplicates on it);
- ``webhook-timestamp``: Unix seconds when this attempt was signed;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``; a receiver
  accepts any one of the space-separated signatures (a key rotation sends several).

The key: a secret ``whsec_<base64>`` is the base64-decoded bytes after the prefix, as every
Standard Webhooks library reads it; any other secret (Kie-style, free text) is its UTF-8 bytes,
so one account secret works with either scheme. Standard library only (the client imports it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from imagegate.errors import CallbackVerificationError

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
PREFIX = "whsec_"


def key_bytes(secret: str) -> bytes:
    """The HMAC key a secret stands for (the module's docstring)."""
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raise CallbackVerificationError(
                "a whsec_ secret must be base64 after the prefix"
            ) from None
    return secret.encode()


def sign(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """``v1,<base64 signature>`` of one message."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    message_id: str, body: bytes, secret: str, now: float | None = None
) -> dict[str, str]:
    """The three headers that sign ``body`` as message ``message_id``, timestamped ``now``."""
    timestamp = int(time.time() if now is None else now)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(message_id, timestamp, body, secret),
    }


def verify_or_raise(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> None:
    """Check a Standard Webhooks delivery: the raw ``body`` (the exact bytes received: the
    signature covers them, not their parsed JSON), its three headers and ``secret``; raise
    CallbackVerificationError saying what failed."""
    if not secret:
        raise CallbackVerificationError("no secret to verify with")
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get(ID_HEADER)
    raw_timestamp = lowered.get(TIMESTAMP_HEADER)
    signatures = lowered.get(SIGNATURE_HEADER)
    if not message_id or raw_timestamp is None or signatures is None:
        raise CallbackVerificationError(
            "webhook-id, webhook-timestamp or webhook-signature missing"
        )
    try:
        timestamp = int(raw_timestamp.strip())
    except ValueError:
        raise CallbackVerificationError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise CallbackVerificationError("timestamp outside the tolerance window")
    raw = body.encode() if isinstance(body, str) else body
    expected = sign(message_id, timestamp, raw, secret).encode("ascii")
    for candidate in signatures.split():
        if hmac.compare_digest(expected, candidate.encode("utf-8", "replace")):
            return
    raise CallbackVerificationError("signature does not match")
