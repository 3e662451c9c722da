"""Links to this server's own files, read where they are stored instead of over HTTP.

A signed file URL that this server issued names a blob it already has; fetching it back over
HTTP would go out through the outbound policy, which refuses the server's own (often loopback)
address. Uploads by URL and the worker's input images both read such a link here.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagegate.errors import BlobNotFound, OwnLinkRefused
from imagegate.storage.blobstore import BlobStore
from imagegate.storage.urls import UrlSigner


@dataclass(frozen=True, slots=True)
class OwnFile:
    """The file behind one of this server's links: its blob key and bytes."""

    key: str
    data: bytes


async def open_own_link(signer: UrlSigner, blobs: BlobStore, url: str) -> OwnFile | None:
    """The file behind ``url`` when it is one of this server's file links; None for any other
    URL. Raises OwnLinkRefused when it is one but cannot be used (forged, expired, its file
    gone): fetching it over HTTP could only end the same way."""
    own = signer.own_file_url(url.strip())
    if own is None:
        return None
    if own.problem is not None:
        raise OwnLinkRefused(own.problem)
    try:
        return OwnFile(own.key, await blobs.get(own.key))
    except BlobNotFound as exc:
        raise OwnLinkRefused("names a file this server no longer has") from exc


async def read_own_file(signer: UrlSigner, blobs: BlobStore, url: str) -> bytes | None:
    """``open_own_link``'s bytes: what the worker's ImageFetcher reads an input image with."""
    own = await open_own_link(signer, blobs, url)
    return own.data if own is not None else None
