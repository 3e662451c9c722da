"""The HTTP requests the client makes, built as values: each endpoint's method, URL, headers and
body, and whether repeating it is safe."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imagegate import __version__
from imagegate.client.settings import ClientSettings

USER_AGENT = f"imagegate-client/{__version__}"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Spec 002: this model is created through the v2 jobs API; its record is read through v1.
V2_MODELS = frozenset({"nano-banana-pro"})


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request to make. ``idempotent``: repeating it cannot do anything twice, so
    5xx answers and broken connections may be retried."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    idempotent: bool = False


def auth_headers(settings: ClientSettings) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    return headers


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def create_task_request(
    settings: ClientSettings,
    model: str,
    input: Mapping[str, Any],
    *,
    callback_url: str | None = None,
    idempotency_key: str,
) -> ApiRequest:
    """``POST /api/v{1,2}/jobs/createTask``. The Idempotency-Key makes it safe to retry: the
    service answers a repeat with the task the first attempt created, not a second paid one."""
    body: dict[str, Any] = {"model": model, "input": dict(input)}
    if callback_url:
        body["callBackUrl"] = callback_url
    version = "v2" if model in V2_MODELS else "v1"
    return ApiRequest(
        "POST",
        f"{settings.api_at}/api/{version}/jobs/createTask",
        headers={**auth_headers(settings), IDEMPOTENCY_HEADER: idempotency_key},
        json=body,
        idempotent=True,
    )


def get_task_request(settings: ClientSettings, task_id: str) -> ApiRequest:
    """``GET /api/v1/jobs/recordInfo?taskId=``."""
    return ApiRequest(
        "GET",
        f"{settings.api_at}/api/v1/jobs/recordInfo",
        headers=auth_headers(settings),
        params={"taskId": task_id},
        idempotent=True,
    )


def credits_request(settings: ClientSettings) -> ApiRequest:
    """``GET /api/v1/chat/credit``."""
    return ApiRequest(
        "GET", f"{settings.api_at}/api/v1/chat/credit", headers=auth_headers(settings),
        idempotent=True,
    )


def upload_request(
    settings: ClientSettings,
    data: bytes,
    file_name: str,
    mime_type: str,
    *,
    upload_path: str | None = None,
) -> ApiRequest:
    """``POST /api/file-stream-upload`` on the upload host: multipart ``file``,
    ``uploadPath``, ``fileName``. Not idempotent: a repeat would store a second copy."""
    return ApiRequest(
        "POST",
        f"{settings.uploads_at}/api/file-stream-upload",
        headers=auth_headers(settings),
        data={"uploadPath": upload_path or settings.upload_path, "fileName": file_name},
        files={"file": (file_name, data, mime_type)},
    )


def download_request(url: str) -> ApiRequest:
    """A result file. No Authorization: result links are signed, and the key must never go
    to whatever host a link names."""
    return ApiRequest("GET", url, headers={"User-Agent": USER_AGENT}, idempotent=True)
