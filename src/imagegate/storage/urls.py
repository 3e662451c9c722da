"""Signed, expiring URLs for the files imagegate serves.

A URL is ``{public_url}/files/{key}?expires={unix seconds}&sig={signature}``, the signature an
HMAC-SHA256 of ``key`` and ``expires`` under the server's secret. The same key and expiry always
give the same URL, so a record can be rendered again without changing its links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

FILES_PREFIX = "/files/"


class UrlSigner:
    """Makes and checks the signed file URLs of one server."""

    def __init__(self, secret: bytes, public_url: str) -> None:
        self._secret = secret
        self.public_url = public_url.rstrip("/")

    def _signature(self, key: str, expires: int) -> str:
        mac = hmac.new(self._secret, f"{key}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")

    def url(self, key: str, expires_ms: int) -> str:
        """The public URL of ``key``, valid until ``expires_ms`` (epoch milliseconds)."""
        expires = expires_ms // 1000
        return (
            f"{self.public_url}{FILES_PREFIX}{quote(key)}"
            f"?expires={expires}&sig={self._signature(key, expires)}"
        )

    def verify(self, key: str, expires: int, sig: str, now: float | None = None) -> bool:
        """True when ``sig`` is this server's signature of (key, expires) and it has not expired."""
        if (now if now is not None else time.time()) > expires:
            return False
        return hmac.compare_digest(sig, self._signature(key, expires))

    def own_file_url(self, url: str, now: float | None = None) -> OwnFileUrl | None:
        """What a URL under this server's ``/files/`` names, and whether it can be used; None
        for any other URL (another host, another path)."""
        if not url.startswith(self.public_url + FILES_PREFIX):
            return None
        parts = urlsplit(url)
        own = urlsplit(self.public_url)
        key = unquote(parts.path[len(own.path) + len(FILES_PREFIX):])
        if not key:
            return None
        query = parse_qs(parts.query)
        try:
            expires = int(query["expires"][0])
            sig = query["sig"][0]
        except (KeyError, ValueError, IndexError):
            return OwnFileUrl(key, "is not signed by this server (no expires and sig)")
        if not hmac.compare_digest(sig, self._signature(key, expires)):
            return OwnFileUrl(key, "is not signed by this server (wrong signature)")
        if (now if now is not None else time.time()) > expires:
            return OwnFileUrl(key, "has expired (ask for a fresh link)")
        return OwnFileUrl(key, None)

    def key_of_own_url(self, url: str) -> str | None:
        """The key of a valid, unexpired URL this server signed, or None for any other URL.

        Lets the worker read its own files from the BlobStore instead of over HTTP.
        """
        own = self.own_file_url(url)
        return own.key if own is not None and own.problem is None else None


@dataclass(frozen=True, slots=True)
class OwnFileUrl:
    """A URL of this server's files: the blob key it names and, when the URL cannot be used
    (forged, unsigned, expired), why, as a phrase that follows "the link"."""

    key: str
    problem: str | None = None
