"""Serving signed file URLs (``/files/...``): the link's signature is the credential, no key."""

from __future__ import annotations

import time
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from imagegate.api.deps import get_services
from imagegate.api.files.naming import UNSAFE_CHARS
from imagegate.api.services import Services
from imagegate.clock import now_ms
from imagegate.errors import BlobNotFound, Forbidden, NotFound

router = APIRouter(tags=["files"])


def _content_disposition(file_name: str) -> str:
    """``inline`` with the name; non-ASCII names go in RFC 6266's ``filename*``."""
    fallback = UNSAFE_CHARS.sub("_", file_name) or "file"
    value = f'inline; filename="{fallback}"'
    if fallback != file_name:
        value += f"; filename*=UTF-8''{quote(file_name, safe='')}"
    return value


@router.api_route("/files/{key:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def serve_file(
    request: Request,
    key: str,
    expires: str = "",
    sig: str = "",
    services: Services = Depends(get_services),
) -> Response:
    """A stored file; the signature in the query is the credential, no key needed."""
    if not expires.isdigit() or not sig:
        raise Forbidden("File link is not signed; ask for a fresh link")
    expires_at = int(expires)
    now = time.time()
    if not services.signer.verify(key, expires_at, sig, now=now):
        raise Forbidden("File link has expired or its signature is not valid")
    stored = await services.files.get(key)
    # Past its retention the file is gone even if the janitor has not swept it yet.
    if stored is None or stored.expires_at <= now_ms():
        raise NotFound("File not found: it has expired or was deleted")
    head = request.method == "HEAD"
    try:
        if head:
            if not await services.blobs.exists(key):
                raise BlobNotFound(key)
            data = b""
        else:
            data = await services.blobs.get(key)
    except (BlobNotFound, ValueError) as exc:
        raise NotFound("File not found: it has expired or was deleted") from exc
    headers = {
        "Cache-Control": f"private, max-age={max(0, expires_at - int(now))}",
        "Content-Disposition": _content_disposition(stored.file_name),
        "Content-Length": str(stored.size if head else len(data)),
        # Uploads carry any type a user declared: never let a browser run them as this origin.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(content=data, media_type=stored.mime_type, headers=headers)
