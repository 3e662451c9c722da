"""Kie's three upload endpoints: ``file-stream-upload`` (multipart), ``file-base64-upload`` and
``file-url-upload`` (the server downloads the file, or reads it where it is stored when the URL
is one of its own file links); each reads and caps its own body."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

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
from imagegate.api.deps import get_services
from imagegate.api.files.naming import FILE_NAME_SCHEMA, UPLOAD_PATH_SCHEMA, clean_upload_path
from imagegate.api.files.upload_answer import UPLOADED, Incoming, store_upload
from imagegate.api.services import Services
from imagegate.errors import (
    BadRequest,
    DownloadTooLarge,
    OutboundError,
    OutboundRefused,
    OwnLinkRefused,
    PayloadTooLarge,
    ValidationFailed,
)
from imagegate.outbound import Downloaded, download, outbound_client
from imagegate.storage.own_files import open_own_link

router = APIRouter(tags=["files"])

# Provider notes: Kie gives a file URL 30 s to download; redirects are vetted one by one.
_URL_DOWNLOAD_TIMEOUT_SECONDS = 30.0
_URL_MAX_REDIRECTS = 5
# Room for multipart boundaries, headers and the other fields beside the file itself.
_FORM_OVERHEAD_BYTES = 64 * 1024
_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*?);base64,", re.I)


def _too_large(limit: int) -> PayloadTooLarge:
    # The body limit includes room for the envelope; the user only cares about the file's.
    return PayloadTooLarge(f"File is over the upload limit of {limit} bytes")


def _required_text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None or value == "":
        raise BadRequest(f"{field} is required")
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string")
    return value


def _optional_text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string")
    return value


def _request_body(
    fields: dict[str, dict[str, Any]], required: list[str], content: str
) -> dict[str, Any]:
    """OpenAPI for an upload endpoint, which reads its body itself (to cap it before parsing)."""
    schema = {"type": "object", "required": required, "properties": fields}
    return schemas.operation(
        schemas.responses(UPLOADED, surface="upload", errors=(400, 401, 413)),
        body=schemas.json_body(schema, content=content),
    )


_STRING = "string"
_PATH_AND_NAME: dict[str, dict[str, Any]] = {
    "uploadPath": dict(UPLOAD_PATH_SCHEMA), "fileName": dict(FILE_NAME_SCHEMA),
}
# Standard base64 (padding optional) of at least one byte, or the same in a data: URL. The
# server also takes line breaks and the URL-safe alphabet, which the document leaves out.
_BASE64_DATA: dict[str, Any] = {
    "type": _STRING, "minLength": 2,
    "pattern": r"^(data:[^,;]*;base64,)?([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}"
               r"|[A-Za-z0-9+/]{2}(==)?|[A-Za-z0-9+/]{3}=?)$",
    "description": "The file's bytes in base64, or a data:<type>;base64, URL",
}
_FILE_URL: dict[str, Any] = {
    "type": _STRING, "format": "uri", "pattern": "^https?://", "minLength": 1,
    "maxLength": 2048, "description": "An http(s) URL to download the file from",
}


@router.post(
    "/api/file-stream-upload",
    openapi_extra=_request_body(
        {"file": {"type": _STRING, "format": "binary", "minLength": 1}, **_PATH_AND_NAME},
        ["file", "uploadPath"],
        "multipart/form-data",
    ),
)
async def file_stream_upload(
    request: Request,
    account: Account = Depends(current_account),
    services: Services = Depends(get_services),
) -> Response:
    limit = services.settings.max_upload_bytes
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest("Expected a multipart/form-data body with a 'file' part")
    try:
        raw = await read_limited(request, limit + _FORM_OVERHEAD_BYTES)
    except PayloadTooLarge as exc:
        raise _too_large(limit) from exc
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
        for name in ("uploadPath", "fileName"):
            # Sent twice, which one was meant? Refused rather than guessed.
            if len(form.getlist(name)) > 1:
                raise BadRequest(f"{name} must be sent once")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        data = await part.read()
        incoming = Incoming(
            data=data,
            upload_path=_required_text(fields, "uploadPath"),
            file_name=_optional_text(fields, "fileName"),
            declared_mime=part.content_type,
            original_name=part.filename,
        )
    finally:
        await form.close()
    return await store_upload(services, account, incoming)


def _decode_base64_data(value: str) -> tuple[bytes, str | None]:
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
        {"base64Data": _BASE64_DATA, **_PATH_AND_NAME},
        ["base64Data", "uploadPath"],
        "application/json",
    ),
)
async def file_base64_upload(
    request: Request,
    account: Account = Depends(current_account),
    services: Services = Depends(get_services),
) -> Response:
    limit = services.settings.max_upload_bytes
    # Base64 is 4/3 of the bytes it carries.
    try:
        body = await read_json_object(request, limit * 4 // 3 + _FORM_OVERHEAD_BYTES)
    except PayloadTooLarge as exc:
        raise _too_large(limit) from exc
    encoded = _required_text(body, "base64Data")
    upload_path = _required_text(body, "uploadPath")
    file_name = _optional_text(body, "fileName")
    data, mime = _decode_base64_data(encoded)
    return await store_upload(services, account, Incoming(data, upload_path, file_name, mime))


async def _download_file_url(services: Services, url: str) -> Downloaded:
    """The file at ``url``, fetched under the outbound policy; refusals name ``fileUrl``."""
    try:
        async with outbound_client() as client:
            return await download(
                client,
                services.policy,
                url,
                max_bytes=services.settings.max_upload_bytes,
                timeout=_URL_DOWNLOAD_TIMEOUT_SECONDS,
                max_redirects=_URL_MAX_REDIRECTS,
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
        {"fileUrl": _FILE_URL, **_PATH_AND_NAME},
        ["fileUrl", "uploadPath"],
        "application/json",
    ),
)
async def file_url_upload(
    request: Request,
    account: Account = Depends(current_account),
    services: Services = Depends(get_services),
) -> Response:
    body = await read_json_object(request, services.settings.max_json_body_bytes)
    url = _required_text(body, "fileUrl")
    upload_path = _required_text(body, "uploadPath")
    file_name = _optional_text(body, "fileName")
    # Check the path before spending up to 30 s on a download that would be refused anyway.
    clean_upload_path(upload_path)
    own = await _own_file(services, url)
    if own is not None:
        data, mime, name = own
        return await store_upload(
            services, account, Incoming(data, upload_path, file_name, mime, original_name=name)
        )
    fetched = await _download_file_url(services, url)
    last_segment = httpx.URL(fetched.final_url).path.rsplit("/", 1)[-1] or None
    incoming = Incoming(
        fetched.data, upload_path, file_name, fetched.content_type, original_name=last_segment
    )
    return await store_upload(services, account, incoming)


async def _own_file(services: Services, url: str) -> tuple[bytes, str | None, str | None] | None:
    """(bytes, type, name) of a file this server issued the link ``url`` for, read where it is
    stored (the outbound policy would refuse the server's own address); None for any other
    URL. A link of this server's that is forged, expired or whose file is gone is a 422."""
    try:
        own = await open_own_link(services.signer, services.blobs, url)
    except OwnLinkRefused as exc:
        raise ValidationFailed("fileUrl", exc.reason) from exc
    if own is None:
        return None
    stored = await services.files.get(own.key)
    if stored is None:  # a blob whose row is gone: the janitor's to remove; its bytes are good
        return own.data, None, own.key.rsplit("/", 1)[-1]
    return own.data, stored.mime_type, stored.file_name
