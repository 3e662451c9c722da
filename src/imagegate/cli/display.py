"""How the client commands show a task while they wait, and what they print when done.

Progress goes to stderr, always: a live ``rich`` progress bar when stderr is a terminal, one plain
line per change of state or percent when it is not. Results go to stdout: one downloaded path a
line, or with ``--json`` a single JSON document and nothing else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imagegate.client import Task


class Watcher(Protocol):
    """Receives every version of the task the client sees (its ``on_update``): one per live
    event where the server streams them, one per poll where it does not."""

    def __call__(self, task: Task) -> None: ...


def _percent(task: Task) -> int:
    if task.state == "success":
        return 100
    return max(0, min(100, int(task.progress or 0)))


class PlainWatcher:
    """One line on stderr per change of (state, percent): logs and pipes read it line by line."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self._last: tuple[str, int] | None = None

    def __call__(self, task: Task) -> None:
        seen = (task.state, _percent(task))
        if seen != self._last:
            self._last = seen
            print(f"task {self.task_id}: {seen[0]} {seen[1]}%", file=sys.stderr, flush=True)


class BarWatcher:
    """A live progress bar on the terminal (stderr), with the task's state and percent."""

    def __init__(self, task_id: str, progress: Any) -> None:
        self.task_id = task_id
        self._progress = progress
        self._bar = progress.add_task(f"{task_id} waiting", total=100, completed=0)

    def __call__(self, task: Task) -> None:
        self._progress.update(
            self._bar, description=f"{self.task_id} {task.state}", completed=_percent(task)
        )


def stderr_is_terminal() -> bool:
    from rich.console import Console

    console = Console(stderr=True)
    return console.is_terminal and not console.is_dumb_terminal


@contextmanager
def watching(task_id: str) -> Iterator[Watcher]:
    """The ``on_update`` for waiting on ``task_id``: a bar on a terminal, lines otherwise."""
    if not stderr_is_terminal():
        yield PlainWatcher(task_id)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        yield BarWatcher(task_id, progress)


def note(message: str) -> None:
    """A line for the person at the terminal (stderr: stdout carries only results)."""
    print(message, file=sys.stderr, flush=True)


def task_json(task: Task, files: Sequence[Path] = ()) -> dict[str, Any]:
    """The machine-readable result: the task's record as received, and the files written."""
    return {
        "taskId": task.task_id,
        "state": task.state,
        "task": dict(task.raw),
        "files": [str(path) for path in files],
    }


def print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False), flush=True)


def print_task(task: Task) -> None:
    """``task show`` without ``--json``: the record, one field a line."""
    lines = [
        ("task", task.task_id),
        ("model", task.model),
        ("state", task.state),
        ("progress", f"{_percent(task)}%"),
        ("failCode", task.fail_code),
        ("failMsg", task.fail_msg),
        ("createTime", task.create_time),
        ("completeTime", task.complete_time),
        ("costTime", f"{task.cost_time} ms" if task.cost_time is not None else None),
    ]
    for name, value in lines:
        if value not in (None, ""):
            print(f"{name + ':':<14}{value}")
    for index, url in enumerate(task.result_urls, 1):
        print(f"{f'result {index}:':<14}{url}")
    sys.stdout.flush()
