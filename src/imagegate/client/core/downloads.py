"""A task's result files: whether it has any to download, each download's answer read, and the
local name a file is saved under."""

from __future__ import annotations

import re
from collections.abc import Mapping

from imagegate.client.core.answers import error_for, header, json_of, parse_retry_after
from imagegate.client.errors import TaskFailed
from imagegate.client.task import Task


def check_downloadable(task: Task) -> None:
    """Raise unless ``task`` has results to download: TaskFailed if it failed."""
    if task.failed:
        raise TaskFailed(task)
    if not task.succeeded:
        raise ValueError(f"task {task.task_id} is still {task.state.value}; wait for it first")


def check_download(status: int, headers: Mapping[str, str], content: bytes) -> bytes:
    """A result file's bytes, or the APIError its status stands for."""
    if 200 <= status < 300:
        return content
    body = json_of(content)
    msg = ""
    if isinstance(body, Mapping):
        raw = body.get("msg") or body.get("message") or body.get("error")
        msg = raw if isinstance(raw, str) else ""
    raise error_for(status, msg or f"download answered HTTP {status}", status=status, body=body,
                    retry_after=parse_retry_after(header(headers, "Retry-After")))


def parse_download(
    status: int, headers: Mapping[str, str], content: bytes
) -> tuple[bytes, str | None]:
    """A result file's bytes and Content-Type, or the APIError its status stands for."""
    return check_download(status, headers, content), header(headers, "Content-Type")


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
