"""One upload, whichever endpoint it came through: validated, stored, registered, and answered
in Kie's upload envelope ``{success, code, msg, data}`` (provider notes)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imagegate.accounts.model import Account
from imagegate.api.envelope import JSONBody
from imagegate.api.files.naming import (
    clean_file_name,
    clean_upload_path,
    default_file_name,
    mime_type_of,
)
from imagegate.api.services import Services
from imagegate.clock import now_ms
from imagegate.errors import BadRequest, PayloadTooLarge
from imagegate.tasks.files import StoredFile

# Named for the files surface, not this module: log filters and dashboards match on it.
log = logging.getLogger("imagegate.api.files")

# The ``data`` of the answer, for the upload endpoints' OpenAPI: kept beside the code that
# makes it so the two cannot drift apart.
UPLOADED: dict[str, Any] = {
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


@dataclass(frozen=True, slots=True)
class Incoming:
    """One upload, whichever endpoint it came through."""

    data: bytes
    upload_path: str
    file_name: str | None
    declared_mime: str | None
    original_name: str | None = None


def _iso_utc(ms: int) -> str:
    """Kie's ``uploadedAt`` shape: ``2025-01-01T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


async def store_upload(services: Services, account: Account, incoming: Incoming) -> JSONBody:
    """Validate, store and register one upload; answer Kie's upload envelope."""
    limit = services.settings.max_upload_bytes
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
    expires = created + int(services.settings.upload_retention_hours * 3_600_000)
    # The row goes first: a blob is never stored without a row the janitor will find.
    await services.files.add(
        StoredFile(
            key=key, account_id=account.id, kind="upload", task_id=None, file_name=file_name,
            mime_type=mime, size=size, created_at=created, expires_at=expires,
        )
    )
    try:
        await services.blobs.put(key, incoming.data, mime)
    except BaseException:
        await services.files.remove(key)
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
                "downloadUrl": services.signer.url(key, expires),
                "fileSize": size,
                "mimeType": mime,
                "uploadedAt": _iso_utc(created),
            },
        }
    )
