"""Kie's Flux Kontext shapes: the record (``data`` of ``GET /api/v1/flux/kontext/record-info``)
and the callback ``{code, msg, data: {taskId, info: {originImageUrl, resultImageUrl}}}``.

Callback facts (https://docs.kie.ai/flux-kontext-api/generate-or-edit-image-callbacks): code
200 "BFL image generated successfully." with both links; on failure both links are empty
strings and ``code`` is 400 (the prompt was flagged as violating content policies), 500 (an
internal error) or 501 (the generation failed).
"""

from __future__ import annotations

from typing import Any, Final

from imagegate.wire.legacy import error_code, error_message, param_json, progress_percent
from imagegate.wire.states import (
    SPEC_002_STATUS,
    TaskState,
    failed_before_generation,
    flux_success_flag,
)
from imagegate.wire.task_view import TaskView, UrlFor, result_urls

CALLBACK_SUCCESS: Final = 200
CALLBACK_CONTENT_REFUSED: Final = 400
CALLBACK_INTERNAL_ERROR: Final = 500
CALLBACK_GENERATION_FAILED: Final = 501
CALLBACK_SUCCESS_MSG: Final = "BFL image generated successfully."
# Kie's messages, for a failure without a message of its own.
_CALLBACK_FAILURE_MSG: Final = {
    CALLBACK_CONTENT_REFUSED: "Your prompt was flagged by Website as violating content policies.",
    CALLBACK_INTERNAL_ERROR: "Internal Error, Please try again later.",
    CALLBACK_GENERATION_FAILED: "Image generation task failed",
}


def _links(task: TaskView, url_for: UrlFor) -> tuple[str | None, str | None]:
    """(originImageUrl, resultImageUrl) of a succeeded task. Kie keeps the upstream link
    (originImageUrl) next to its own copy; imagegate has one stored file, so both name it."""
    urls = result_urls(task, url_for) if task.state is TaskState.SUCCESS else []
    first = urls[0] if urls else None
    return first, first


def record(task: TaskView, url_for: UrlFor) -> dict[str, Any]:
    """successFlag and, on success, ``resultImageUrl``; ``paramJson`` names the model. Spec
    002's generic ``status`` (pending | processing | completed | failed), ``imageUrl`` and
    ``progress`` (0-100) follow Kie's fields: Kie's Flux record has none of those names."""
    origin, result = _links(task, url_for)
    response = None
    if task.state is TaskState.SUCCESS:
        response = {"originImageUrl": origin, "resultImageUrl": result}
    return {
        "taskId": task.id,
        "paramJson": param_json(task, with_model=True),
        "completeTime": task.complete_time,
        "response": response,
        "successFlag": flux_success_flag(task.state, task.fail_code),
        "errorCode": error_code(task),
        "errorMessage": error_message(task),
        "createTime": task.create_time,
        "status": SPEC_002_STATUS[task.state],
        "imageUrl": result,
        "progress": progress_percent(task),
    }


def callback_code(task: TaskView) -> int:
    """The callback ``code``: 200; 400 for the input's fault (failCode 422: Kie's only code
    that blames the request); 500 for an engine that could not run (failCode 500); 501 for
    every other failure (a generation that failed, a cancelled task)."""
    if task.state is TaskState.SUCCESS:
        return CALLBACK_SUCCESS
    if failed_before_generation(task.state, task.fail_code):
        return CALLBACK_CONTENT_REFUSED
    if task.fail_code == "500":
        return CALLBACK_INTERNAL_ERROR
    return CALLBACK_GENERATION_FAILED


def callback_body(task: TaskView, balance_milli: int, url_for: UrlFor) -> dict[str, Any]:
    """Kie's Flux Kontext callback; ``balance_milli`` is not part of it."""
    code = callback_code(task)
    if code == CALLBACK_SUCCESS:
        origin, result = _links(task, url_for)
        info = {"originImageUrl": origin, "resultImageUrl": result}
        msg = CALLBACK_SUCCESS_MSG
    else:
        info = {"originImageUrl": "", "resultImageUrl": ""}
        msg = task.fail_msg or _CALLBACK_FAILURE_MSG[code]
    return {"code": code, "msg": msg, "data": {"taskId": task.id, "info": info}}
