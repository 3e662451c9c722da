"""Kie's jobs API as the wire shows it: the createTask answers (v1, and v2's ``task_id``),
recordInfo's ``data`` and the callback body, which carries the same record."""

from __future__ import annotations

import json
from typing import Any

from imagegate.catalog.pricing import milli_to_credits
from imagegate.wire.states import TaskState
from imagegate.wire.task_view import TaskView, UrlFor, result_urls


def created(task_id: str) -> dict[str, Any]:
    """v1 createTask's ``data``: ``taskId`` and ``recordId``, the same value."""
    return {"taskId": task_id, "recordId": task_id}


def created_v2(task_id: str) -> dict[str, Any]:
    """Spec 002's v2 createTask ``data``: ``task_id``, and v1's names for it too (its envelope
    carries ``message``: ``envelope.success_body(..., v2=True)``)."""
    return {"task_id": task_id, "taskId": task_id, "recordId": task_id}


def record_data(
    task: TaskView, url_for: UrlFor, queue_position: int | None = None
) -> dict[str, Any]:
    """The ``data`` object of ``GET /api/v1/jobs/recordInfo`` (spec 000 and 004, plus
    ``updateTime``, ``progress``, ``engine``, the engine or upstream provider that served
    the task, or tried it last, and ``queuePosition``: how many tasks will be claimed before
    this waiting one, null once it runs or ended, so a callback's record, always of an ended
    task, stays identical to recordInfo's)."""
    result_json = None
    if task.state is TaskState.SUCCESS:
        result_json = json.dumps({"resultUrls": result_urls(task, url_for)})
    return {
        "taskId": task.id,
        "model": task.model,
        "state": task.state.value,
        "param": task.param,
        "resultJson": result_json,
        "failCode": task.fail_code,
        "failMsg": task.fail_msg,
        "costTime": task.cost_time,
        "completeTime": task.complete_time,
        "createTime": task.create_time,
        "updateTime": task.update_time,
        "progress": task.progress,
        "engine": task.engine,
        "queuePosition": queue_position,
    }


def record_data_v2(
    task: TaskView, url_for: UrlFor, queue_position: int | None = None
) -> dict[str, Any]:
    """``record_data`` for a task created through spec 002's v2 createTask: its query response
    shows ``failCode`` and ``failMsg`` as "" where there is none, not null."""
    data = record_data(task, url_for, queue_position)
    data["failCode"] = data["failCode"] or ""
    data["failMsg"] = data["failMsg"] or ""
    return data


def callback_body(task: TaskView, balance_milli: int, url_for: UrlFor) -> dict[str, Any]:
    """Kie's callback: code 200 on success, 501 on failure, ``data`` as in recordInfo plus the
    credits the task consumed and the balance left."""
    return _callback(task, record_data(task, url_for), balance_milli)


def callback_body_v2(task: TaskView, balance_milli: int, url_for: UrlFor) -> dict[str, Any]:
    """The callback of a v2-created task: the jobs callback over ``record_data_v2``, with
    spec 002's ``message`` beside ``msg``."""
    body = _callback(task, record_data_v2(task, url_for), balance_milli)
    return {"code": body["code"], "message": body["msg"], **body}


def _callback(task: TaskView, data: dict[str, Any], balance_milli: int) -> dict[str, Any]:
    succeeded = task.state is TaskState.SUCCESS
    data["consumeCredits"] = milli_to_credits(task.price_milli) if succeeded else 0
    data["remainedCredits"] = milli_to_credits(balance_milli)
    if succeeded:
        return {"code": 200, "msg": "Image generated successfully.", "data": data}
    return {"code": 501, "msg": task.fail_msg or "Generation failed", "data": data}


def event_body(
    task: TaskView, event: str, url_for: UrlFor, *, v2: bool = False, progress: int | None = None
) -> dict[str, Any]:
    """A ``webhookEvents`` callback of a running task (``start``, ``progress``): the current
    record in the jobs callback's shape, marked ``event``: ``{code: 200, msg: event, event,
    data}`` (v2: with ``message`` and v2's record). ``progress``: the engine's latest report,
    when newer than the record's."""
    data = record_data_v2(task, url_for) if v2 else record_data(task, url_for)
    if progress is not None:
        data["progress"] = max(int(data["progress"]), progress)
    body: dict[str, Any] = {"code": 200, "msg": event, "event": event, "data": data}
    if v2:
        body = {"code": 200, "message": event, **body}
    return body
