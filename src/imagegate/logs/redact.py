"""Redaction: what must never reach a log line, found by its shape and replaced by ``***``.

API keys (``ig_...``), the signatures and expiries of signed URLs (``sig=``, ``expires=``,
S3's ``X-Amz-Signature``/``-Credential``/``-Security-Token``), ``Authorization`` and key
headers and Bearer tokens, and webhook signatures. A webhook secret has no shape of its own:
no code logs one, and the scripted-run test (tests/acceptance/test_logs.py) checks it.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # API keys: "ig_" and the url-safe token of tasks/keys.new_api_key.
    (re.compile(r"\big_[A-Za-z0-9_\-]{8,}"), "ig_" + MASK),
    # Signed URLs' query parameters, in a URL or a query string alone.
    (re.compile(
        r"(?i)\b(sig|signature|expires|x-amz-signature|x-amz-credential|x-amz-security-token"
        r"|token|api_key|apikey)=[^&\s\"'<>]+"
    ), r"\1=" + MASK),
    # Headers as "Name: value", "'name': 'value'" or "name=value".
    (re.compile(
        r"(?i)\b(authorization|x-api-key|api-key|x-webhook-signature|cookie)"
        r"([\"']?\s*[:=]\s*[\"']?)(bearer\s+|basic\s+)?[^\s\"',;]+"
    ), r"\1\2\3" + MASK),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+"), "Bearer " + MASK),
)


def redact(text: str) -> str:
    """``text`` with every secret-shaped part masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """On a handler: renders the record's message and masks it, so that arguments (a URL, a
    header dict) are masked too; the formatters mask exception text themselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it when it formats
            return True
        record.msg = redact(message)
        record.args = None
        return True
