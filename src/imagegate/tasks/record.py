"""A task as the wire shows it: the ``data`` of recordInfo and the body of its callback.

The task row keeps its result as ``{"files": [{"key", "expires"}]}``; the public
``resultJson`` (``{"resultUrls": [...]}``) is rendered from it with signed URLs, so links always
point at the server's current public URL and expire with the files themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from imagegate.accounts.model import milli_to_credits
from imagegate.tasks.model import Task
from imagegate.tasks.state import TaskState

UrlFor = Callable[[str, int], str]
"""Signs a file URL: (blob key, expiry in epoch ms) → URL."""


def result_files_json(files: list[tuple[str, int]]) -> str:
    """The internal result of a task: its stored files and their expiry."""
    return json.dumps({"files": [{"key": k, "expires": e} for k, e in files]})


def result_urls(task: Task, url_for: UrlFor) -> list[str]:
    if not task.result_json:
        return []
    stored = json.loads(task.result_json)
    return [url_for(f["key"], int(f["expires"])) for f in stored.get("files", [])]


def record_data(task: Task, url_for: UrlFor) -> dict[str, Any]:
    """The ``data`` object of ``GET /api/v1/jobs/recordInfo`` (spec 000 and 004, plus
    ``updateTime``, ``progress`` and ``engine``, the engine or upstream provider that served
    the task, or tried it last)."""
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
    }


def callback_body(task: Task, balance_milli: int, url_for: UrlFor) -> dict[str, Any]:
    """Kie's callback: code 200 on success, 501 on failure, ``data`` as in recordInfo plus the
    credits the task consumed and the balance left."""
    data = record_data(task, url_for)
    succeeded = task.state is TaskState.SUCCESS
    data["consumeCredits"] = milli_to_credits(task.price_milli) if succeeded else 0
    data["remainedCredits"] = milli_to_credits(balance_milli)
    if succeeded:
        return {"code": 200, "msg": "Image generated successfully.", "data": data}
    return {"code": 501, "msg": task.fail_msg or "Generation failed", "data": data}
