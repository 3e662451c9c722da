"""Kie's answers read: any envelope to its ``data`` or the APIError it reports, and each
endpoint's ``data`` to what the client returns (a task id, a balance, an uploaded file)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from imagegate.client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
)
from imagegate.client.task import Task, TaskState


@dataclass(frozen=True)
class UploadedFile:
    """An upload endpoint's ``data``: ``download_url`` is what a task's input takes."""

    file_name: str
    file_path: str
    download_url: str
    file_size: int | None = None
    mime_type: str | None = None
    uploaded_at: str | None = None


def json_of(content: bytes) -> Any:
    """The body's JSON, or None when it is not JSON (an HTML error page, a proxy's text)."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def _as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """``name``'s value in ``headers``, whatever its case (a plain dict is case-sensitive)."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lower:
            return candidate
    return None


def parse_response(status: int, headers: Mapping[str, str], content: bytes) -> Any:
    """The ``data`` of any of Kie's envelopes — jobs ``{code, msg, data}``, v2 ``{code,
    message, data}``, uploads ``{success, code, msg, data}`` — or the APIError it reports.

    The envelope's ``code`` wins over the HTTP status: Kie answers business errors (a bad key,
    an unknown task) with HTTP 200 and the error in ``code``.
    """
    body = json_of(content)
    retry_after = parse_retry_after(header(headers, "Retry-After"))
    if not isinstance(body, Mapping):
        if status >= 400:
            text = content[:200].decode("utf-8", "replace").strip()
            raise error_for(status, text or f"HTTP {status}", status=status,
                            retry_after=retry_after)
        raise ProtocolError(f"HTTP {status} answer is not a JSON object: {content[:200]!r}")
    code = _as_code(body.get("code"))
    msg = body.get("msg") or body.get("message") or body.get("error") or ""
    msg = msg if isinstance(msg, str) else json.dumps(msg)
    refused = (code is not None and code != 200) or body.get("success") is False or status >= 400
    if refused:
        effective = code if code is not None and code != 200 else (status if status >= 400 else 500)
        raise error_for(effective, msg or f"HTTP {status}", status=status, body=body,
                        retry_after=retry_after)
    if code is None and "data" not in body:
        raise ProtocolError(f"answer has neither code nor data: {dict(body)!r:.200}")
    return body.get("data")


_FIELD_MESSAGE = re.compile(r"^(?P<field>[A-Za-z_][\w-]*(?:\.[\w\[\]-]+)*): (?P<problem>.+)$",
                            re.S)


def error_for(
    code: int,
    msg: str,
    *,
    status: int = 0,
    body: Any = None,
    retry_after: float | None = None,
) -> APIError:
    """The exception for an envelope ``code`` (spec 001's list plus Kie's 433 and 455)."""
    kwargs: dict[str, Any] = {"code": code, "status": status, "body": body}
    if code in (400, 413):
        return BadRequestError(msg, **kwargs)
    if code == 401:
        return AuthenticationError(msg, **kwargs)
    if code == 402:
        return InsufficientCreditsError(msg, **kwargs)
    if code == 404:
        return NotFoundError(msg, **kwargs)
    if code == 422:
        # Kie answers an unknown taskId this way (provider notes).
        if "recordInfo is null" in msg:
            return NotFoundError(msg, **kwargs)
        match = _FIELD_MESSAGE.match(msg)
        if match:
            return ValidationError(msg, field=match["field"], problem=match["problem"], **kwargs)
        return ValidationError(msg, **kwargs)
    if code in (429, 433):
        return RateLimitError(msg, retry_after=retry_after, **kwargs)
    if code in (455, 503, 505):
        return ServiceUnavailableError(msg, **kwargs)
    if code >= 500:
        return ServerError(msg, **kwargs)
    return APIError(msg, **kwargs)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date; None when absent or odd."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def task_id_of(data: Any) -> str:
    """createTask's ``data.taskId`` (v2: ``data.task_id``)."""
    task_id = None
    if isinstance(data, Mapping):
        task_id = data.get("taskId") or data.get("task_id") or data.get("recordId")
    if not isinstance(task_id, str) or not task_id:
        raise ProtocolError(f"createTask answered no taskId: {data!r:.200}")
    return task_id


def created_task(task_id: str, model: str) -> Task:
    """The Task a createTask answer stands for: ``waiting``, nothing else known yet (reading
    it back would spend a recordInfo of the 10 per second a key may make)."""
    raw = {"taskId": task_id, "model": model, "state": TaskState.WAITING.value}
    return Task(task_id=task_id, state=TaskState.WAITING, model=model, raw=raw)


def credits_of(data: Any) -> float:
    """``/api/v1/chat/credit``'s ``data``: the balance, a number."""
    if isinstance(data, bool) or not isinstance(data, int | float | str):
        raise ProtocolError(f"credit answered no number: {data!r:.200}")
    try:
        return float(data)
    except ValueError:
        raise ProtocolError(f"credit answered no number: {data!r:.200}") from None


def uploaded_of(data: Any) -> UploadedFile:
    """An upload endpoint's ``data``."""
    url = data.get("downloadUrl") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(url, str) or not url:
        raise ProtocolError(f"upload answered no downloadUrl: {data!r:.200}")
    size = data.get("fileSize")
    return UploadedFile(
        file_name=str(data.get("fileName") or ""),
        file_path=str(data.get("filePath") or ""),
        download_url=url,
        file_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        mime_type=data.get("mimeType") if isinstance(data.get("mimeType"), str) else None,
        uploaded_at=data.get("uploadedAt") if isinstance(data.get("uploadedAt"), str) else None,
    )
