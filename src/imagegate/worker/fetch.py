"""Fetches a task's input images safely: vetted URLs, capped sizes, magic-byte types, no bombs.
Every refusal is an ``InputRejected`` naming the input field and the problem; the checks
themselves are storage/image_checks.py's, which the Ideogram form uses too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from imagegate.engines.base import SourceImage
from imagegate.errors import DownloadTooLarge, InputRejected, OutboundError
from imagegate.outbound import UrlPolicy, download, outbound_client
from imagegate.storage.image_checks import (
    DEFAULT_TYPES,
    SNIFF_BYTES,
    check_bytes,
    check_type,
    decode,
    gif_as_png,
    human_size,
)

__all__ = ["MAX_REDIRECTS", "ImageFetcher"]

MAX_REDIRECTS = 5
_REQUEST_HEADERS = {
    "Accept": "image/jpeg, image/png, image/webp, image/gif",
    # Images are already compressed; asking for identity keeps a gzip bomb out of the decoder.
    "Accept-Encoding": "identity",
    "User-Agent": "imagegate",
}

LocalReader = Callable[[str], Awaitable[bytes | None]]


class ImageFetcher:
    """Fetches and checks input images for the worker.

    ``local_reader(url)`` returns the bytes of a file imagegate serves itself (read from its
    BlobStore) or None, and raises an OutboundError for such a link that cannot be used
    (forged, expired, its file gone: storage/own_files.py); other URLs go through ``policy``
    and are fetched over HTTP with every redirect vetted again. ``timeout`` bounds the whole
    download, however slowly bytes arrive.
    """

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        max_pixels: int = 40_000_000,
        timeout: float = 30.0,
        local_reader: LocalReader | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._policy = policy
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._timeout = timeout
        self._local_reader = local_reader
        self._owns_client = client is None
        self._client = client or outbound_client()

    async def fetch(
        self,
        url: str,
        field: str,
        accepted: tuple[str, ...] = DEFAULT_TYPES,
        max_bytes: int | None = None,
    ) -> SourceImage:
        """The checked image at ``url``, of one of the ``accepted`` types and at most
        ``max_bytes`` (the field's own, from its model; the fetcher's cap, the operator's
        setting, holds whichever is lower); raises InputRejected naming ``field`` otherwise. A
        GIF, where accepted, comes back as its first frame in PNG.

        The same limits hold however the bytes arrive: a file this server stores (an upload
        used as an input) is held to them as a download is."""
        limit = self._max_bytes if max_bytes is None else min(max_bytes, self._max_bytes)
        data: bytes | None = None
        if self._local_reader is not None:
            try:
                data = await self._local_reader(url)
            except OutboundError as exc:  # a link of this server's, forged or expired
                raise InputRejected(f"{field}: {exc}") from exc
        if data is None:
            data = await self._download(url, field, accepted, limit)
        else:
            # Uploads may be larger than an input may be (they are files of any kind).
            check_bytes(len(data), limit, field)
        mime_type, fmt = check_type(data, accepted, field)
        width, height = await asyncio.to_thread(decode, data, fmt, self._max_pixels, field)
        if mime_type == "image/gif":
            data, mime_type = await asyncio.to_thread(gif_as_png, data), "image/png"
        return SourceImage(url=url, data=data, mime_type=mime_type, width=width, height=height)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _download(
        self, url: str, field: str, accepted: tuple[str, ...], limit: int
    ) -> bytes:
        def check_head(head: bytes) -> None:
            # Stop a large page of HTML at its first bytes rather than at the byte cap.
            check_type(head, accepted, field)

        try:
            downloaded = await download(
                self._client,
                self._policy,
                url,
                max_bytes=limit,
                timeout=self._timeout,
                max_redirects=MAX_REDIRECTS,
                headers=_REQUEST_HEADERS,
                check_head=check_head,
                head_bytes=SNIFF_BYTES,
            )
        except DownloadTooLarge as exc:
            size = "" if exc.declared is None else f" {human_size(exc.declared)},"
            raise InputRejected(
                f"{field}: image is{size} larger than the limit of {human_size(exc.limit)}"
            ) from exc
        except OutboundError as exc:
            raise InputRejected(f"{field}: {exc}") from exc
        return downloaded.data
