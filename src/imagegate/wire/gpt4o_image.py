"""Kie's GPT-4o Image record, the ``data`` of ``GET /api/v1/gpt4o-image/record-info``."""

from __future__ import annotations

from typing import Any

from imagegate.wire.legacy import error_code, error_message, param_json, progress_text
from imagegate.wire.states import TaskState, gpt4o_status
from imagegate.wire.task_view import TaskView, UrlFor, result_urls


def record(task: TaskView, url_for: UrlFor) -> dict[str, Any]:
    """status and successFlag, progress "0.00"-"1.00" and, on success, ``resultUrls``."""
    status, flag = gpt4o_status(task.state, task.fail_code)
    response = None
    if task.state is TaskState.SUCCESS:
        response = {"resultUrls": result_urls(task, url_for)}
    return {
        "taskId": task.id,
        "paramJson": param_json(task),
        "completeTime": task.complete_time,
        "response": response,
        "successFlag": flag,
        "status": status,
        "errorCode": error_code(task),
        "errorMessage": error_message(task),
        "createTime": task.create_time,
        "progress": progress_text(task),
    }
