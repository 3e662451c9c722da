"""Signing callbacks Kie's way: ``X-Webhook-Signature`` = base64(HMAC-SHA256(taskId.timestamp))."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

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
