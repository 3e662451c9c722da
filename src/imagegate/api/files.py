"""Files: serving signed file URLs, Kie's three upload endpoints and ``common/download-url``.

Uploads answer ``{success, code, msg, data}`` (provider notes); download-url answers the jobs
envelope.
"""

from __future__ import annotations

import base64
import binascii
import logging
import mimetypes
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from imagegate.accounts.model import Account
from imagegate.api import schemas
from imagegate.api.auth import current_account
from imagegate.api.body import read_json_object, read_limited, with_body
from imagegate.api.deps import get_runtime
from imagegate.api.envelope import JSONBody, success
from imagegate.clock import now_ms
from imagegate.errors import (
    ApiError,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from imagegate.imagetypes import sniff_image
from imagegate.outbound import (
    Downloaded,
    DownloadTooLarge,
    OutboundError,
    OutboundRefused,
    download,
    outbound_client,
)
from imagegate.runtime import Runtime
from imagegate.storage.blobstore import BlobNotFound
from imagegate.tasks.files import StoredFile

log = logging.getLogger(__name__)

router = APIRouter(tags=["files"])

OCTET_STREAM = "application/octet-stream"
# Provider notes: Kie gives a file URL 30 s to download; redirects are vetted one by one.
URL_DOWNLOAD_TIMEOUT_SECONDS = 30.0
URL_MAX_REDIRECTS = 5
# Room for multipart boundaries, headers and the other fields beside the file itself.
_FORM_OVERHEAD_BYTES = 64 * 1024
_MAX_UPLOAD_PATH_CHARS = 200
_MAX_UPLOAD_PATH_DEPTH = 8
_MAX_FILE_NAME_CHARS = 100

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*?);base64,", re.I)
# Preferred over mimetypes.guess_extension, whose answers vary by platform (".jpe", ".jfif").
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "text/plain": ".txt",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
}


class Forbidden(ApiError):
    """A file URL whose signature is wrong or has expired."""

    code = 403
    http_status = 403


# ------------------------------------------------------------------ serving signed file URLs


def content_disposition(file_name: str) -> str:
    """``inline`` with the name; non-ASCII names go in RFC 6266's ``filename*``."""
    fallback = _UNSAFE_CHARS.sub("_", file_name) or "file"
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
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """A stored file; the signature in the query is the credential, no key needed."""
    if not expires.isdigit() or not sig:
        raise Forbidden("File link is not signed; ask for a fresh link")
    expires_at = int(expires)
    now = time.time()
    if not runtime.signer.verify(key, expires_at, sig, now=now):
        raise Forbidden("File link has expired or its signature is not valid")
    stored = await runtime.files.get(key)
    # Past its retention the file is gone even if the janitor has not swept it yet.
    if stored is None or stored.expires_at <= now_ms():
        raise NotFound("File not found: it has expired or was deleted")
    head = request.method == "HEAD"
    try:
        if head:
            if not await runtime.blobs.exists(key):
                raise BlobNotFound(key)
            data = b""
        else:
            data = await runtime.blobs.get(key)
    except (BlobNotFound, ValueError) as exc:
        raise NotFound("File not found: it has expired or was deleted") from exc
    headers = {
        "Cache-Control": f"private, max-age={max(0, expires_at - int(now))}",
        "Content-Disposition": content_disposition(stored.file_name),
        "Content-Length": str(stored.size if head else len(data)),
        # Uploads carry any type a user declared: never let a browser run them as this origin.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(content=data, media_type=stored.mime_type, headers=headers)


# ------------------------------------------------------------------ uploads


@dataclass(frozen=True, slots=True)
class Incoming:
    """One upload, whichever endpoint it came through."""

    data: bytes
    upload_path: str
    file_name: str | None
    declared_mime: str | None
    original_name: str | None = None


def clean_upload_path(value: str) -> str:
    """``uploadPath`` as safe relative segments; ``..`` is refused, not silently rewritten."""
    segments: list[str] = []
    for part in value.replace("\\", "/").split("/"):
        part = part.strip()
        if part in ("", "."):
            continue  # leading slashes (absolute paths) and empty segments collapse
        if part == "..":
            raise BadRequest("uploadPath must not contain '..'")
        cleaned = _UNSAFE_CHARS.sub("_", part).lstrip(".")
        if cleaned:
            segments.append(cleaned)
    path = "/".join(segments)
    if not path:
        raise BadRequest("uploadPath is required (a relative folder such as 'images/user')")
    if len(path) > _MAX_UPLOAD_PATH_CHARS or len(segments) > _MAX_UPLOAD_PATH_DEPTH:
        raise BadRequest(
            f"uploadPath is too long (at most {_MAX_UPLOAD_PATH_CHARS} characters"
            f" and {_MAX_UPLOAD_PATH_DEPTH} folders)"
        )
    return path


def clean_file_name(value: str) -> str | None:
    """``fileName`` as one safe name, or None when nothing usable is left (a default is made)."""
    name = value.strip()
    if "/" in name or "\\" in name or name == "..":
        raise BadRequest("fileName must be a plain file name, without folders or '..'")
    cleaned = _UNSAFE_CHARS.sub("_", name).lstrip(".")
    if not cleaned:
        return None
    if len(cleaned) > _MAX_FILE_NAME_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        ext = f".{ext}" if dot and stem and len(ext) < 16 else ""
        cleaned = cleaned[: _MAX_FILE_NAME_CHARS - len(ext)] + ext
    return cleaned


def normalise_mime(value: str | None) -> str | None:
    """A bare ``type/subtype`` from a header value, or None when absent, odd or generic."""
    if not value:
        return None
    mime = value.split(";", 1)[0].strip().lower()
    if not _MIME_TYPE.match(mime) or mime == OCTET_STREAM:
        return None
    return mime


def mime_type_of(data: bytes, declared: str | None, *names: str | None) -> str:
    """Magic bytes for images, then the declared type, then a guess from a name."""
    sniffed = sniff_image(data)
    if sniffed:
        return sniffed
    mime = normalise_mime(declared)
    if mime:
        return mime
    for name in names:
        if name:
            guessed = normalise_mime(mimetypes.guess_type(name, strict=False)[0])
            if guessed:
                return guessed
    return OCTET_STREAM


def default_file_name(mime: str, original_name: str | None) -> str:
    ext = _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime, strict=False) or ""
    if not ext and original_name and "." in original_name:
        ext = "." + (_UNSAFE_CHARS.sub("", original_name.rsplit(".", 1)[1])[:10] or "bin")
    return f"{secrets.token_hex(6)}{ext or '.bin'}"


def iso_utc(ms: int) -> str:
    """Kie's ``uploadedAt`` shape: ``2025-01-01T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def too_large(limit: int) -> PayloadTooLarge:
    # The body limit includes room for the envelope; the user only cares about the file's.
    return PayloadTooLarge(f"File is over the upload limit of {limit} bytes")


async def store_upload(runtime: Runtime, account: Account, incoming: Incoming) -> JSONBody:
    """Validate, store and register one upload; answer Kie's upload envelope."""
    limit = runtime.settings.max_upload_bytes
    size = len(incoming.data)
    if size > limit:
        raise PayloadTooLarge(f"File is {size} bytes; the upload limit is {limit} bytes")
    if size == 0:
        raise BadRequest("File is empty")
    upload_path = clean_upload_path(incoming.upload_path)
    file_name = clean_file_name(incoming.file_name) if incoming.file_name else None
    mime = mime_type_of(incoming.data, incoming.declared_mime, file_name, incoming.original_name)
    if file_name is None:
        file_name = default_file_name(mime, incoming.original_name)
    key = f"uploads/{account.id}/{upload_path}/{secrets.token_hex(6)}-{file_name}"
    created = now_ms()
    expires = created + int(runtime.settings.upload_retention_hours * 3_600_000)
    # The row goes first: a blob is never stored without a row the janitor will find.
    await runtime.files.add(
        StoredFile(
            key=key, account_id=account.id, kind="upload", task_id=None, file_name=file_name,
            mime_type=mime, size=size, created_at=created, expires_at=expires,
        )
    )
    try:
        await runtime.blobs.put(key, incoming.data, mime)
    except BaseException:
        await runtime.files.remove(key)
        raise
    log.info("upload by account %s: %s (%d bytes, %s)", account.id, key, size, mime)
    return JSONBody(
        {
            "success": True,
            "code": 200,
            "msg": "File uploaded successfully",
            "data": {
                "fileName": file_name,
                "filePath": f"{upload_path}/{file_name}",
                "downloadUrl": runtime.signer.url(key, expires),
                "fileSize": size,
                "mimeType": mime,
                "uploadedAt": iso_utc(created),
            },
        }
    )


def required_text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None or value == "":
        raise BadRequest(f"{field} is required")
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string")
    return value


def optional_text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string")
    return value


_UPLOADED: dict[str, Any] = {
    "type": "object",
    "required": ["fileName", "filePath", "downloadUrl", "fileSize", "mimeType", "uploadedAt"],
    "properties": {
        "fileName": {"type": "string"},
        "filePath": {"type": "string"},
        "downloadUrl": {"type": "string", "description": "A signed, expiring link"},
        "fileSize": {"type": "integer"},
        "mimeType": {"type": "string"},
        "uploadedAt": {"type": "string", "example": "2025-01-01T12:00:00.000Z"},
    },
}


def _request_body(
    fields: dict[str, dict[str, str]], required: list[str], content: str
) -> dict[str, Any]:
    """OpenAPI for an upload endpoint, which reads its body itself (to cap it before parsing)."""
    schema = {"type": "object", "required": required, "properties": fields}
    return schemas.operation(
        schemas.responses(_UPLOADED, surface="upload", errors=(400, 401, 413)),
        body=schemas.json_body(schema, content=content),
    )


_STRING = "string"


@router.post(
    "/api/file-stream-upload",
    openapi_extra=_request_body(
        {"file": {"type": _STRING, "format": "binary"}, "uploadPath": {"type": _STRING},
         "fileName": {"type": _STRING}},
        ["file", "uploadPath"],
        "multipart/form-data",
    ),
)
async def file_stream_upload(
    request: Request,
    account: Account = Depends(current_account),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    limit = runtime.settings.max_upload_bytes
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest("Expected a multipart/form-data body with a 'file' part")
    try:
        raw = await read_limited(request, limit + _FORM_OVERHEAD_BYTES)
    except PayloadTooLarge as exc:
        raise too_large(limit) from exc
    buffered = with_body(request, raw)
    try:
        form = await buffered.form(max_files=1, max_fields=10)
    except (MultiPartException, StarletteHTTPException) as exc:
        detail = exc.message if isinstance(exc, MultiPartException) else exc.detail
        raise BadRequest(f"Malformed multipart body: {detail}") from exc
    try:
        part = form.get("file")
        if part is None:
            raise BadRequest("file is required")
        if not isinstance(part, UploadFile):
            raise BadRequest("file must be a file part (filename and content), not a text field")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        data = await part.read()
        incoming = Incoming(
            data=data,
            upload_path=required_text(fields, "uploadPath"),
            file_name=optional_text(fields, "fileName"),
            declared_mime=part.content_type,
            original_name=part.filename,
        )
    finally:
        await form.close()
    return await store_upload(runtime, account, incoming)


def decode_base64_data(value: str) -> tuple[bytes, str | None]:
    """Plain base64 or a ``data:<mime>;base64,`` URL; the bytes and the URL's type."""
    mime: str | None = None
    payload = value
    if value[:5].lower() == "data:":
        match = _DATA_URL.match(value)
        if match is None:
            raise BadRequest("base64Data is a data: URL but not a ';base64,' one")
        mime = match.group("mime") or None
        payload = value[match.end():]
    compact = "".join(payload.split())
    compact += "=" * (-len(compact) % 4)  # clients often drop the padding
    try:
        return base64.b64decode(compact, validate=True), mime
    except (binascii.Error, ValueError):
        try:
            # URL-safe alphabet ('-', '_') is what some encoders produce.
            return base64.b64decode(compact, altchars=b"-_", validate=True), mime
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("base64Data is not valid base64") from exc


@router.post(
    "/api/file-base64-upload",
    openapi_extra=_request_body(
        {"base64Data": {"type": _STRING}, "uploadPath": {"type": _STRING},
         "fileName": {"type": _STRING}},
        ["base64Data", "uploadPath"],
        "application/json",
    ),
)
async def file_base64_upload(
    request: Request,
    account: Account = Depends(current_account),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    limit = runtime.settings.max_upload_bytes
    # Base64 is 4/3 of the bytes it carries.
    try:
        body = await read_json_object(request, limit * 4 // 3 + _FORM_OVERHEAD_BYTES)
    except PayloadTooLarge as exc:
        raise too_large(limit) from exc
    encoded = required_text(body, "base64Data")
    upload_path = required_text(body, "uploadPath")
    file_name = optional_text(body, "fileName")
    data, mime = decode_base64_data(encoded)
    return await store_upload(runtime, account, Incoming(data, upload_path, file_name, mime))


async def download_file_url(runtime: Runtime, url: str) -> Downloaded:
    """The file at ``url``, fetched under the outbound policy; refusals name ``fileUrl``."""
    try:
        async with outbound_client() as client:
            return await download(
                client,
                runtime.policy,
                url,
                max_bytes=runtime.settings.max_upload_bytes,
                timeout=URL_DOWNLOAD_TIMEOUT_SECONDS,
                max_redirects=URL_MAX_REDIRECTS,
            )
    except DownloadTooLarge as exc:
        raise PayloadTooLarge(
            f"fileUrl is over the limit of {exc.limit} bytes" if exc.declared is None
            else f"fileUrl is {exc.declared} bytes; the limit is {exc.limit} bytes"
        ) from exc
    except OutboundRefused as exc:
        if exc.hop:
            raise BadRequest(
                f"fileUrl redirected to {exc.url}, which is not allowed: {exc.reason}"
            ) from exc
        raise BadRequest(f"fileUrl is not allowed: {exc.reason}") from exc
    except OutboundError as exc:
        raise BadRequest(f"fileUrl could not be downloaded: {exc}") from exc


@router.post(
    "/api/file-url-upload",
    openapi_extra=_request_body(
        {"fileUrl": {"type": _STRING}, "uploadPath": {"type": _STRING},
         "fileName": {"type": _STRING}},
        ["fileUrl", "uploadPath"],
        "application/json",
    ),
)
async def file_url_upload(
    request: Request,
    account: Account = Depends(current_account),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    body = await read_json_object(request, runtime.settings.max_json_body_bytes)
    url = required_text(body, "fileUrl")
    upload_path = required_text(body, "uploadPath")
    file_name = optional_text(body, "fileName")
    # Check the path before spending up to 30 s on a download that would be refused anyway.
    clean_upload_path(upload_path)
    fetched = await download_file_url(runtime, url)
    last_segment = httpx.URL(fetched.final_url).path.rsplit("/", 1)[-1] or None
    incoming = Incoming(
        fetched.data, upload_path, file_name, fetched.content_type, original_name=last_segment
    )
    return await store_upload(runtime, account, incoming)


# ------------------------------------------------------------------ download-url


@router.post(
    "/api/v1/common/download-url",
    openapi_extra=schemas.operation(
        schemas.responses(
            {"type": "string", "description": "A fresh signed link, valid 20 minutes"},
            errors=(400, 401, 413, 422),
        ),
        body=schemas.json_body(
            {"type": "object", "required": ["url"], "properties": {"url": {"type": _STRING}}}
        ),
    ),
)
async def download_url(
    request: Request,
    account: Account = Depends(current_account),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """A fresh 20-minute link for a file this server made or stored for the caller."""
    body = await read_json_object(request, runtime.settings.max_json_body_bytes)
    url = body.get("url")
    if url is None or url == "":
        raise ValidationFailed("url", "is required")
    if not isinstance(url, str):
        raise ValidationFailed("url", "must be a string")
    key = runtime.signer.key_of_own_url(url.strip())
    stored = await runtime.files.get(key) if key is not None else None
    # Another account's file reads exactly like a foreign URL: nothing about it is revealed.
    if stored is None or stored.account_id != account.id or stored.expires_at <= now_ms():
        raise ValidationFailed(
            "url", "is not a current file link of this server for this account"
            " (only files generated or uploaded here can be downloaded)"
        )
    expires = now_ms() + int(runtime.settings.download_url_minutes * 60_000)
    return success(runtime.signer.url(stored.key, expires))
