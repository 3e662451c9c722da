"""``sync_mode``: a model field (qwen/image-edit's in spec 004, and the market's models that
have it) saying "wait for the image before answering".

Kie's createTask answers at once with the task id whatever it says; imagegate honours it: with
``sync_mode`` true, createTask waits for the task's end (at most ``sync_mode_wait_seconds``)
and answers the task id with the outcome beside it (``state``, ``resultUrls`` or
``failCode``/``failMsg``), so the client needs no poll. Past the wait it answers as usual, with
the ``state`` reached, and the task runs on; a client that leaves early changes nothing.
"""

from __future__ import annotations

from typing import Any

from imagegate.api.services import Services
from imagegate.api.waiting import wait_for_end
from imagegate.tasks.model import Task
from imagegate.wire.states import TaskState
from imagegate.wire.task_view import result_urls

SYNC_FIELD = "sync_mode"


def wants_sync(task: Task) -> bool:
    """Whether the task's validated input asks to be answered when it has ended."""
    return task.input.get(SYNC_FIELD) is True


async def outcome(services: Services, task: Task) -> dict[str, Any]:
    """What a sync-mode create answers beside the task id: the task's end (or, past the
    wait, the state it has reached)."""
    ended = await wait_for_end(services, task.id, services.settings.sync_mode_wait_seconds)
    if ended is None:
        current = await services.store.get_task(task.id)
        return {"state": (current or task).state.value}
    found: dict[str, Any] = {"state": ended.state.value}
    if ended.state is TaskState.SUCCESS:
        found["resultUrls"] = result_urls(ended, services.signer.url)
    else:
        found["failCode"] = ended.fail_code
        found["failMsg"] = ended.fail_msg
    return found
