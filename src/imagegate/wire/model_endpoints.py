"""Spec 002's per-model record, the ``data`` of ``GET /api/v1/<path>/record-info`` (Seedream
4.0, Imagen 4, Ideogram V3 / Character)."""

from __future__ import annotations

from typing import Any

from imagegate.wire.states import SPEC_002_STATUS
from imagegate.wire.task_view import TaskView, UrlFor, result_urls


def record(task: TaskView, url_for: UrlFor) -> dict[str, Any]:
    """Spec 002's ``data`` for a task: its status, first image and progress (0-100), plus all
    its images (``imageUrls``) and, when it failed, why (``failCode``, ``failMsg``)."""
    urls = result_urls(task, url_for)
    return {
        "taskId": task.id,
        "model": task.model,
        "status": SPEC_002_STATUS[task.state],
        "imageUrl": urls[0] if urls else None,
        "imageUrls": urls,
        "progress": task.progress,
        "failCode": task.fail_code,
        "failMsg": task.fail_msg,
        "createTime": task.create_time,
        "completeTime": task.complete_time,
    }
