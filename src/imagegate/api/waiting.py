"""Waiting in a request for a task to end: Ideogram's synchronous reframe, and createTask with
a model's ``sync_mode`` on. The task itself never depends on the wait: a request that gives up
(or a client that leaves) leaves it running to its end as usual."""

from __future__ import annotations

import asyncio

from imagegate.api.services import Services
from imagegate.tasks.model import Task


async def wait_for_end(services: Services, task_id: str, timeout: float) -> Task | None:
    """The task once terminal; None if it is still running after ``timeout`` seconds.

    Polls the store (an indexed read, microseconds), every 20 ms at first and at most every
    250 ms.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.02
    while True:
        task = await services.store.get_task(task_id)
        if task is None:  # pragma: no cover - tasks are never deleted
            raise RuntimeError(f"task {task_id} disappeared while a request waited for it")
        if task.state.is_terminal:
            return task
        remaining = deadline - loop.time()
        if remaining <= 0:
            return None
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.25)
