"""Kie's Flux Kontext record, the ``data`` of ``GET /api/v1/flux/kontext/record-info``."""

from __future__ import annotations

from typing import Any

from imagegate.wire.legacy import error_code, error_message, param_json
from imagegate.wire.states import TaskState, flux_success_flag
from imagegate.wire.task_view import TaskView, UrlFor, result_urls


def record(task: TaskView, url_for: UrlFor) -> dict[str, Any]:
    """successFlag and, on success, ``resultImageUrl``; ``paramJson`` names the model."""
    response = None
    if task.state is TaskState.SUCCESS:
        urls = result_urls(task, url_for)
        # Kie keeps the upstream link (originImageUrl) next to its own copy; imagegate has one
        # stored file, so both name it.
        first = urls[0] if urls else None
        response = {"originImageUrl": first, "resultImageUrl": first}
    return {
        "taskId": task.id,
        "paramJson": param_json(task, with_model=True),
        "completeTime": task.complete_time,
        "response": response,
        "successFlag": flux_success_flag(task.state, task.fail_code),
        "errorCode": error_code(task),
        "errorMessage": error_message(task),
        "createTime": task.create_time,
    }
