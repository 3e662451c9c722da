"""Waiting for a task with its progress on stderr, then downloading its results into the output
directory and printing their paths (or one JSON document)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from imagegate.cli import display
from imagegate.cli.failures import EXIT_INTERRUPTED
from imagegate.cli.jobs.running import Connection

if TYPE_CHECKING:
    from imagegate.client import Client, Task


def _interrupted(task_id: str) -> None:
    display.note(
        f"\ninterrupted; the task goes on: imagegate task wait {task_id}"
        f" (its record: imagegate task show {task_id})"
    )
    raise typer.Exit(EXIT_INTERRUPTED)


def output_dir(path: Path) -> Path:
    """Made before anything is paid for: a bad -o is a usage error (exit 2)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise typer.BadParameter(f"cannot create {path}: {error}", param_hint="-o") from error
    return path


def finish(client: Client, conn: Connection, task: Task, out: Path, timeout: float) -> None:
    """Wait for ``task`` with a progress display, download its results, print the paths."""
    try:
        with display.watching(task.task_id) as watcher:
            done = client.wait(task, timeout=timeout, on_update=watcher)
    except KeyboardInterrupt:
        _interrupted(task.task_id)
    files = client.download(done, out)
    if conn.as_json:
        display.print_json(display.task_json(done, files))
    else:
        for path in files:
            print(path, flush=True)

