"""The client's pure core: requests built, answers parsed, errors mapped, waits decided.

Nothing here does I/O; ``Client`` and ``AsyncClient`` only send what this builds and sleep as
long as it says, so both behave the same by construction.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from imagegate import __version__
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
    TaskFailed,
    ValidationError,
)
from imagegate.client.settings import ClientSettings
from imagegate.client.task import Task, TaskState

USER_AGENT = f"imagegate-client/{__version__}"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Spec 002: this model is created through the v2 jobs API; its record is read through v1.
V2_MODELS = frozenset({"nano-banana-pro"})


# ------------------------------------------------------------------ requests


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


# ------------------------------------------------------------------ answers


@dataclass(frozen=True)
class UploadedFile:
    """An upload endpoint's ``data``: ``download_url`` is what a task's input takes."""

    file_name: str
    file_path: str
    download_url: str
    file_size: int | None = None
    mime_type: str | None = None
    uploaded_at: str | None = None


def _json_of(content: bytes) -> Any:
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


def _header(headers: Mapping[str, str], name: str) -> str | None:
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
    body = _json_of(content)
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
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


def check_download(status: int, headers: Mapping[str, str], content: bytes) -> bytes:
    """A result file's bytes, or the APIError its status stands for."""
    if 200 <= status < 300:
        return content
    body = _json_of(content)
    msg = ""
    if isinstance(body, Mapping):
        raw = body.get("msg") or body.get("message") or body.get("error")
        msg = raw if isinstance(raw, str) else ""
    raise error_for(status, msg or f"download answered HTTP {status}", status=status, body=body,
                    retry_after=parse_retry_after(_header(headers, "Retry-After")))


# ------------------------------------------------------------------ waiting


def poll_delay(elapsed: float) -> float:
    """Seconds to wait before the next recordInfo, ``elapsed`` seconds into waiting.

    Kie's advice: every 2-3 s for the first 30 s, then 5-10 s, then 15-30 s after two
    minutes. The delay grows smoothly inside each band so a long task costs few queries.
    """
    if elapsed < 30.0:
        return 2.5
    if elapsed < 120.0:
        return 5.0 + 5.0 * (elapsed - 30.0) / 90.0
    return min(30.0, 15.0 + 15.0 * (elapsed - 120.0) / 300.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How calls are repeated: at most ``max_retries`` times, after a jittered exponential
    backoff (``base_delay`` doubling up to ``max_delay``), or after the Retry-After of a 429
    when it is at most ``max_retry_after`` seconds (a longer one is raised to the caller)."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0


RETRYABLE_CODES = frozenset({455, 500, 502, 503, 504})


def backoff_delay(policy: RetryPolicy, attempt: int, random: Callable[[], float]) -> float:
    """Equal jitter: within [ceiling/2, ceiling] where ceiling = min(max, base * 2^attempt);
    jitter spreads clients that failed together, the floor keeps them from hammering."""
    ceiling = min(policy.max_delay, policy.base_delay * (2.0 ** attempt))
    return ceiling / 2 + random() * ceiling / 2


def delay_after_error(
    policy: RetryPolicy,
    attempt: int,
    request: ApiRequest,
    error: APIError,
    random: Callable[[], float],
) -> float | None:
    """Seconds to wait before repeating ``request`` after ``error`` on try ``attempt`` (0 is
    the first), or None to raise it."""
    if attempt >= policy.max_retries:
        return None
    if isinstance(error, RateLimitError):
        # A 429 refused the request before doing anything (Kie: excess tasks are not queued),
        # so even a call that is not idempotent may be repeated.
        if error.retry_after is None:
            return backoff_delay(policy, attempt, random)
        return error.retry_after if error.retry_after <= policy.max_retry_after else None
    if request.idempotent and error.code in RETRYABLE_CODES:
        return backoff_delay(policy, attempt, random)
    return None


def delay_after_transport_error(
    policy: RetryPolicy,
    attempt: int,
    request: ApiRequest,
    *,
    sent: bool,
    random: Callable[[], float],
) -> float | None:
    """As :func:`delay_after_error` for a failed connection. ``sent``: the request may have
    reached the service (a read failed), so only an idempotent one is repeated; a connection
    that never opened carried nothing and is always safe to try again."""
    if attempt >= policy.max_retries:
        return None
    if request.idempotent or not sent:
        return backoff_delay(policy, attempt, random)
    return None


# ------------------------------------------------------------------ models' input fields


def image_field(model: str) -> tuple[str, bool]:
    """The input field a model takes its (first) image in, and whether it is a list.

    From the catalog's model definitions; a model the catalog does not know (a provider's
    newer one) is assumed to take ``image_url``.
    """
    from imagegate.catalog import ImageUrlField, ImageUrlListField, get_model

    spec = get_model(model)
    if spec is not None:
        for candidate in spec.fields:
            if isinstance(candidate, ImageUrlField):
                return candidate.name, False
            if isinstance(candidate, ImageUrlListField):
                return candidate.name, True
    return "image_url", False


def prompt_field(model: str) -> str:
    """The input field that holds a model's prompt (``input_prompt`` for nano-banana-pro)."""
    from imagegate.catalog import get_model

    spec = get_model(model)
    if spec is not None:
        names = [candidate.name for candidate in spec.fields]
        for name in ("prompt", "input_prompt"):
            if name in names:
                return name
    return "prompt"


def file_name_for(task_id: str, index: int, url: str, content_type: str | None) -> str:
    """A result's local name: ``<taskId>-<n><ext>``, n from 1, the extension from the link's
    path or else from the Content-Type."""
    from urllib.parse import urlsplit

    last = urlsplit(url).path.rsplit("/", 1)[-1]
    ext = ""
    if "." in last:
        candidate = "." + last.rsplit(".", 1)[1].lower()
        if re.fullmatch(r"\.[a-z0-9]{1,5}", candidate):
            ext = candidate
    if not ext and content_type:
        ext = _EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower(), "")
    safe_id = re.sub(r"[^A-Za-z0-9._-]+", "_", task_id)
    return f"{safe_id}-{index + 1}{ext or '.bin'}"


_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}


# ------------------------------------------------------------------ shared by both shells


def maybe_sent(exc: Exception) -> bool:
    """Whether a failed request may have reached the service: a connection that never opened
    carried nothing; anything later may have."""
    import httpx

    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def parse_download(
    status: int, headers: Mapping[str, str], content: bytes
) -> tuple[bytes, str | None]:
    """A result file's bytes and Content-Type, or the APIError its status stands for."""
    return check_download(status, headers, content), _header(headers, "Content-Type")


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not None): optional input fields."""
    return {name: value for name, value in values.items() if value is not None}


def check_downloadable(task: Task) -> None:
    """Raise unless ``task`` has results to download: TaskFailed if it failed."""
    if task.failed:
        raise TaskFailed(task)
    if not task.succeeded:
        raise ValueError(f"task {task.task_id} is still {task.state.value}; wait for it first")


REFRAME_MODEL = "ideogram/v3-reframe"
EDIT_MODEL = "qwen/image-edit"


def created_task(task_id: str, model: str) -> Task:
    """The Task a createTask answer stands for: ``waiting``, nothing else known yet (reading
    it back would spend a recordInfo of the 10 per second a key may make)."""
    raw = {"taskId": task_id, "model": model, "state": TaskState.WAITING.value}
    return Task(task_id=task_id, state=TaskState.WAITING, model=model, raw=raw)


def reframe_input(
    image_url: str,
    size: str,
    *,
    num_images: int | None = None,
    seed: int | None = None,
    rendering_speed: str | None = None,
    style: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """ideogram/v3-reframe's input; options left at None are left to the model's defaults."""
    optional = given(num_images=num_images, seed=seed, rendering_speed=rendering_speed,
                     style=style)
    return {"image_url": image_url, "image_size": size, **optional, **fields}


def edit_input(model: str, image_url: str, prompt: str, **fields: Any) -> dict[str, Any]:
    """An edit model's input: the prompt and the image, each in the field the model names."""
    field_name, is_list = image_field(model)
    image: Any = [image_url] if is_list else image_url
    return {prompt_field(model): prompt, field_name: image, **fields}


def generate_input(
    model: str, prompt: str, image_urls: Sequence[str] = (), **fields: Any
) -> dict[str, Any]:
    """A generation model's input: the prompt, and reference images when given."""
    input: dict[str, Any] = {prompt_field(model): prompt}
    if image_urls:
        field_name, is_list = image_field(model)
        input[field_name] = list(image_urls) if is_list else image_urls[0]
    return {**input, **fields}
