"""Kie's GPT-4o Image shapes: the record (``data`` of ``GET /api/v1/gpt4o-image/record-info``)
and the callback ``{code, msg, data: {taskId, info: {result_urls}}}``.

Callback facts (https://docs.kie.ai/4o-image-api/generate-4-o-image-callbacks): code 200 on
success with ``info.result_urls``; on failure ``info`` is null and ``code`` says whose fault it
was: 400 (the request: content policy, an image too large or unusable, an image that could not
be fetched), 451 (an image of ``filesUrl`` could not be downloaded), 500 (the server's side).
"""

from __future__ import annotations

from typing import Any, Final

from imagegate.wire.legacy import error_code, error_message, param_json, progress_text
from imagegate.wire.states import TaskState, failed_before_generation, gpt4o_status
from imagegate.wire.task_view import TaskView, UrlFor, result_urls

# The callback's codes and, for a failure without a message of its own, Kie's description.
CALLBACK_SUCCESS: Final = 200
CALLBACK_BAD_REQUEST: Final = 400
CALLBACK_SERVER_ERROR: Final = 500
CALLBACK_SUCCESS_MSG: Final = "success"
_CALLBACK_FAILURE_MSG: Final = {
    CALLBACK_BAD_REQUEST: "Bad Request - the request's content or images could not be used",
    CALLBACK_SERVER_ERROR: "Server Error - Please try again later",
}


def record(task: TaskView, url_for: UrlFor) -> dict[str, Any]:
    """status and successFlag, progress "0.00"-"1.00" and, on success, ``resultUrls``; plus
    spec 002's generic ``imageUrl`` (the first image, null before success). Spec 002's
    ``status`` and numeric ``progress`` are not added: Kie's own fields of those names win."""
    status, flag = gpt4o_status(task.state, task.fail_code)
    urls = result_urls(task, url_for) if task.state is TaskState.SUCCESS else []
    return {
        "taskId": task.id,
        "paramJson": param_json(task),
        "completeTime": task.complete_time,
        "response": {"resultUrls": urls} if task.state is TaskState.SUCCESS else None,
        "successFlag": flag,
        "status": status,
        "errorCode": error_code(task),
        "errorMessage": error_message(task),
        "createTime": task.create_time,
        "progress": progress_text(task),
        "imageUrl": urls[0] if urls else None,
    }


def callback_code(task: TaskView) -> int:
    """The callback ``code`` of a finished task: 200, 400 for the input's fault (imagegate's
    failCode 422), 500 for everything else (Kie's GPT-4o callback has no 501)."""
    if task.state is TaskState.SUCCESS:
        return CALLBACK_SUCCESS
    if failed_before_generation(task.state, task.fail_code):
        return CALLBACK_BAD_REQUEST
    return CALLBACK_SERVER_ERROR


def callback_body(task: TaskView, balance_milli: int, url_for: UrlFor) -> dict[str, Any]:
    """Kie's GPT-4o Image callback; ``balance_milli`` is not part of it (Kie's jobs callback
    alone reports credits)."""
    code = callback_code(task)
    if code == CALLBACK_SUCCESS:
        info: dict[str, Any] | None = {"result_urls": result_urls(task, url_for)}
        msg = CALLBACK_SUCCESS_MSG
    else:
        info, msg = None, task.fail_msg or _CALLBACK_FAILURE_MSG[code]
    return {"code": code, "msg": msg, "data": {"taskId": task.id, "info": info}}
