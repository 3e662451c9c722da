"""What the renderers read of a task (``TaskView``, which ``imagegate.tasks.model.Task``
satisfies), and its result: the stored files the row keeps and the signed links the wire shows.

The task row keeps its result as ``{"files": [{"key", "expires"}]}``; the public links are
rendered from it with signed URLs, so links always point at the server's current public URL and
expire with the files themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

from imagegate.wire.states import TaskState

UrlFor = Callable[[str, int], str]
"""Signs a file URL: (blob key, expiry in epoch ms) → URL."""


class TaskView(Protocol):
    """The task attributes the wire renders; read-only, so a frozen dataclass satisfies it."""

    @property
    def id(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def state(self) -> TaskState: ...
    @property
    def param(self) -> str: ...  # the complete create request, as a JSON string
    @property
    def result_json(self) -> str | None: ...  # the stored files (result_files_json)
    @property
    def fail_code(self) -> str | None: ...
    @property
    def fail_msg(self) -> str | None: ...
    @property
    def progress(self) -> int: ...
    @property
    def price_milli(self) -> int: ...
    @property
    def create_time(self) -> int: ...
    @property
    def update_time(self) -> int: ...
    @property
    def complete_time(self) -> int | None: ...
    @property
    def cost_time(self) -> int | None: ...
    @property
    def engine(self) -> str | None: ...
    @property
    def callback_url(self) -> str | None: ...


def result_files_json(files: list[tuple[str, int]]) -> str:
    """The internal result of a task: its stored files and their expiry."""
    return json.dumps({"files": [{"key": k, "expires": e} for k, e in files]})


def result_files(task: TaskView) -> list[tuple[str, int]]:
    """The task's stored files, in order: (blob key, expiry in epoch ms); none before it
    succeeded."""
    if not task.result_json:
        return []
    stored = json.loads(task.result_json)
    return [(f["key"], int(f["expires"])) for f in stored.get("files", [])]


def result_urls(task: TaskView, url_for: UrlFor) -> list[str]:
    """Signed links to the task's stored files, in order (none before it succeeded)."""
    return [url_for(key, expires) for key, expires in result_files(task)]
