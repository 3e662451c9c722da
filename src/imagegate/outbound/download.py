"""``download``: GET a user-given URL under the policy, redirects re-vetted, bytes capped,
one deadline over the whole transfer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from imagegate.errors import (
    DownloadFailed,
    DownloadStatus,
    DownloadTimeout,
    DownloadTooLarge,
    OutboundRefused,
    TooManyRedirects,
)
from imagegate.outbound.policy import UrlPolicy, send_pinned

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Downloaded:
    data: bytes
    content_type: str | None  # as the server declared it, unchecked
    final_url: str  # where the body came from, after redirects


async def download(
    client: httpx.AsyncClient,
    policy: UrlPolicy,
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    max_redirects: int = 5,
    headers: Mapping[str, str] | None = None,
    check_head: Callable[[bytes], None] | None = None,
    head_bytes: int = 32,
) -> Downloaded:
    """GET ``url`` under ``policy``, vetting every redirect again, with the body capped.

    ``timeout`` bounds the whole download, DNS and redirects included. ``check_head`` is called
    once with the body so far when ``head_bytes`` of it (or all of it) have arrived, so a caller
    can refuse a body from its first bytes; what it raises passes through. Everything else
    raises an OutboundError.
    """
    # One deadline: httpx's timeouts are per read, so a server dripping a byte every few
    # seconds would otherwise never time out.
    try:
        async with asyncio.timeout(timeout):
            response, final_url = await _open(client, policy, url, max_redirects, headers, timeout)
            try:
                data = await _read_capped(response, max_bytes, check_head, head_bytes)
            finally:
                await response.aclose()
            return Downloaded(data, response.headers.get("content-type"), final_url)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise DownloadTimeout(timeout) from exc
    except httpx.ConnectError as exc:
        raise DownloadFailed(f"could not connect to the server ({exc})") from exc
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise DownloadFailed(f"the transfer failed ({detail})") from exc


async def _open(
    client: httpx.AsyncClient, policy: UrlPolicy, url: str, max_redirects: int,
    headers: Mapping[str, str] | None, timeout: float,
) -> tuple[httpx.Response, str]:
    """The streamed 2xx answer at the end of ``url``'s redirects, and its URL; caller closes it."""
    current = url
    for hop in range(max_redirects + 1):
        try:
            resolved = await policy.resolve(current)
        except OutboundRefused as exc:
            if not hop:
                raise
            raise OutboundRefused(exc.reason, url=current, hop=hop) from exc
        response = await send_pinned(
            client, "GET", resolved, headers=headers, timeout=timeout, stream=True
        )
        location = response.headers.get("location")
        if response.status_code in _REDIRECT_STATUSES and location:
            await response.aclose()
            # Joined to the URL with the original name, not the pinned IP. An invalid Location
            # never gets here: httpx refuses it while sending (RemoteProtocolError).
            current = str(httpx.URL(resolved.url).join(location))
            continue
        if not response.is_success:
            await response.aclose()
            raise DownloadStatus(response.status_code)
        return response, current
    raise TooManyRedirects(max_redirects)


async def _read_capped(
    response: httpx.Response, max_bytes: int,
    check_head: Callable[[bytes], None] | None, head_bytes: int,
) -> bytes:
    declared = response.headers.get("content-length", "").strip()
    # Content-Length counts encoded bytes: a size up front only when there is no encoding.
    encoded = "content-encoding" in response.headers
    if declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise DownloadTooLarge(max_bytes, int(declared))
    body = bytearray()
    pending = check_head  # called once, then dropped
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise DownloadTooLarge(max_bytes, None)
        if pending is not None and len(body) >= head_bytes:
            pending(bytes(body))
            pending = None
    if pending is not None:
        pending(bytes(body))
    return bytes(body)
