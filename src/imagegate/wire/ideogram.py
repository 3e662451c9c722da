"""Ideogram's reframe answer ``{created, data: [...]}``, its ``{"error": message}`` refusals and
the messages of a reframe task that failed or has not ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from imagegate.wire.task_view import TaskView, UrlFor, result_urls


def created_text(ms: int) -> str:
    """Ideogram's ``created``: ``2000-01-23 04:56:07+00:00``."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(sep=" ", timespec="seconds")


def reframe_answer(
    task: TaskView,
    url_for: UrlFor,
    *,
    resolution: str,
    style_type: str | None,
    seed_of: Callable[[int], int],
) -> dict[str, Any]:
    """A finished reframe: one entry per image, ``seed_of(index)`` the seed reported for it."""
    urls = result_urls(task, url_for)
    return {
        "created": created_text(task.create_time),
        "data": [
            {
                "prompt": "",
                "resolution": resolution,
                "is_image_safe": True,
                "seed": seed_of(index),
                "url": url,
                "upscaled_resolution": None,
                "style_type": style_type,
            }
            for index, url in enumerate(urls)
        ],
    }


def error_body(message: str, task_id: str | None = None) -> dict[str, Any]:
    """A refusal; ``task_id`` when a task was made (it timed out or failed)."""
    body: dict[str, Any] = {"error": message}
    if task_id is not None:
        body["task_id"] = task_id
    return body


def still_running_message(task_id: str, timeout: float) -> str:
    return (
        f"Task {task_id} is still running after {timeout:g} s. It is kept and will finish:"
        f" follow it with GET /api/v1/jobs/recordInfo?taskId={task_id}"
    )


def failed_message(task: TaskView) -> str:
    return (
        f"Task {task.id} failed: {task.fail_msg or 'generation failed'}"
        + (" (its credits were refunded)" if task.price_milli else "")
    )
