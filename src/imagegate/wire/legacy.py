"""What the records of Kie's per-model endpoints share (GPT-4o Image, Flux Kontext, spec 002's
endpoints): the create answer, the endpoint-shaped request, progress and the error fields."""

from __future__ import annotations

import json
from typing import Any

from imagegate.wire.states import TaskState
from imagegate.wire.task_view import TaskView

# Kie's spelling of the callback field, and spec 002's v2 example's.
CALLBACK_KEYS = ("callBackUrl", "callbackUrl")


def created(task_id: str) -> dict[str, Any]:
    """A per-model generate endpoint's ``data``."""
    return {"taskId": task_id}


def param_json(task: TaskView, *, with_model: bool = False) -> str:
    """The endpoint-shaped request, rebuilt from the task's stored create request: the input
    fields as sent, the model (Flux Kontext's ``model``) and the callback URL when given."""
    param = json.loads(task.param)
    request: dict[str, Any] = {"model": task.model} if with_model else {}
    request.update(param.get("input") or {})
    request.update({key: param[key] for key in CALLBACK_KEYS if key in param})
    return json.dumps(request, separators=(",", ":"), ensure_ascii=False)


def progress_percent(task: TaskView) -> int:
    """Progress 0-100 as spec 002's records show it: 100 only once the task succeeded."""
    return 100 if task.state is TaskState.SUCCESS else min(max(task.progress, 0), 99)


def progress_text(task: TaskView) -> str:
    """Progress as Kie's GPT-4o record shows it: "0.00" to "1.00"."""
    return f"{progress_percent(task) / 100:.2f}"


def error_code(task: TaskView) -> int | str | None:
    """``failCode`` as the per-model records show ``errorCode``: a number (a string only for
    a code that is not one)."""
    code = task.fail_code
    if code is None or task.state is not TaskState.FAIL:
        return None
    return int(code) if code.isdigit() else code


def error_message(task: TaskView) -> str | None:
    return task.fail_msg if task.state is TaskState.FAIL else None
