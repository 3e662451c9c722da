"""Fetches a task's input images safely: vetted URLs, capped sizes, magic-byte types, no bombs.
Every refusal is an ``InputRejected`` naming the input field and the problem."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable

import httpx
from PIL import Image

from imagegate.engines.base import SourceImage
from imagegate.errors import DownloadTooLarge, InputRejected, OutboundError
from imagegate.outbound import UrlPolicy, download, outbound_client

__all__ = ["MAX_REDIRECTS", "ImageFetcher"]

MAX_REDIRECTS = 5
_REQUEST_HEADERS = {
    "Accept": "image/jpeg, image/png, image/webp, image/gif",
    # Images are already compressed; asking for identity keeps a gzip bomb out of the decoder.
    "Accept-Encoding": "identity",
    "User-Agent": "imagegate",
}
_SNIFF_BYTES = 12  # enough for every signature below (WebP needs 12)
# What an input field takes unless its model says otherwise (ImageUrlField.accepted_types).
DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp")
_TYPE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}

LocalReader = Callable[[str], Awaitable[bytes | None]]


def _sniff(data: bytes | bytearray) -> tuple[str, str] | None:
    """(MIME type, Pillow format) read from the magic bytes, or None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg", "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png", "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "GIF"
    return None


_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an ICO image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
)


def _describe(data: bytes | bytearray) -> str:
    """A short name for what a refused body looks like, for the error message."""
    if not data:
        return "an empty body"
    for prefix, name in _OTHER_SIGNATURES:
        if data.startswith(prefix):
            return name
    if data[4:8] == b"ftyp":
        return "an AVIF/HEIF image or video"
    head = bytes(data[:256]).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if head.startswith((b"<?xml", b"<svg")):
        return "XML or SVG"
    try:
        bytes(data[:256]).decode("utf-8")
    except UnicodeDecodeError:
        return "unrecognised binary data"
    return "text"


def _human_size(n: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _inspect(data: bytes, fmt: str, max_pixels: int, field: str) -> tuple[int, int]:
    """Width and height of a checked image; runs in a thread because decoding is CPU-bound.

    The pixel count comes from the header, before anything is decoded, so a small file that
    expands to gigabytes is refused cheaply. The full decode after it refuses corrupt and
    truncated files (``verify()`` alone skips JPEG data and PNG's zlib stream).
    """
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            width, height = img.size
            if width * height > max_pixels:
                raise InputRejected(
                    f"{field}: image is {width}x{height} pixels, "
                    f"more than the limit of {max_pixels} pixels"
                )
            img.load()
    except InputRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own global limit fired first (only when it is below ours, or set strict).
        raise InputRejected(
            f"{field}: image has more than the limit of {max_pixels} pixels"
        ) from exc
    except Exception as exc:  # Pillow raises many types on hostile input; all mean unusable
        raise InputRejected(f"{field}: image is corrupt or truncated ({exc})") from exc
    return width, height


def _gif_as_png(data: bytes) -> bytes:
    """A GIF's first frame as PNG: models that take GIF references read one still image, and
    the engines (and the stored inputs) then only ever see JPEG, PNG or WebP."""
    with Image.open(io.BytesIO(data), formats=["GIF"]) as img:
        img.seek(0)
        frame = img.convert("RGBA" if "transparency" in img.info else "RGB")
    out = io.BytesIO()
    frame.save(out, format="PNG")
    return out.getvalue()


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
        self, url: str, field: str, accepted: tuple[str, ...] = DEFAULT_TYPES
    ) -> SourceImage:
        """The checked image at ``url``, of one of the ``accepted`` types (the field's own, from
        its model); raises InputRejected naming ``field`` otherwise. A GIF, where accepted,
        comes back as its first frame in PNG."""
        data: bytes | None = None
        if self._local_reader is not None:
            try:
                data = await self._local_reader(url)
            except OutboundError as exc:  # a link of this server's, forged or expired
                raise InputRejected(f"{field}: {exc}") from exc
        if data is None:
            data = await self._download(url, field, accepted)
        kind = _sniff(data)
        if kind is None or kind[0] not in accepted:
            raise self._not_an_image(field, data, accepted)
        mime_type, fmt = kind
        width, height = await asyncio.to_thread(_inspect, data, fmt, self._max_pixels, field)
        if mime_type == "image/gif":
            data, mime_type = await asyncio.to_thread(_gif_as_png, data), "image/png"
        return SourceImage(url=url, data=data, mime_type=mime_type, width=width, height=height)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    @staticmethod
    def _not_an_image(
        field: str, data: bytes | bytearray, accepted: tuple[str, ...]
    ) -> InputRejected:
        names = [_TYPE_NAMES.get(mime, mime) for mime in accepted]
        wanted = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        return InputRejected(f"{field}: not a {wanted} image (found {_describe(data)})")

    async def _download(self, url: str, field: str, accepted: tuple[str, ...]) -> bytes:
        def check_head(head: bytes) -> None:
            # Stop a large page of HTML at its first bytes rather than at max_bytes.
            kind = _sniff(head)
            if kind is None or kind[0] not in accepted:
                raise self._not_an_image(field, head, accepted)

        try:
            downloaded = await download(
                self._client,
                self._policy,
                url,
                max_bytes=self._max_bytes,
                timeout=self._timeout,
                max_redirects=MAX_REDIRECTS,
                headers=_REQUEST_HEADERS,
                check_head=check_head,
                head_bytes=_SNIFF_BYTES,
            )
        except DownloadTooLarge as exc:
            raise InputRejected(f"{field}: image is larger than {_human_size(exc.limit)}") from exc
        except OutboundError as exc:
            raise InputRejected(f"{field}: {exc}") from exc
        return downloaded.data
