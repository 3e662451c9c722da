"""``imagegate task show|wait``: a task by its id, its record now or its results once done."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from imagegate.cli import display
from imagegate.cli.jobs.options import (
    DEFAULT_WAIT_TIMEOUT,
    ApiKey,
    AsJson,
    BaseUrl,
    OutDir,
    Timeout,
)
from imagegate.cli.jobs.running import Connection, run
from imagegate.cli.jobs.waiting import finish, output_dir

if TYPE_CHECKING:
    from imagegate.client import Client

TaskId = Annotated[str, typer.Argument(help="The task's id (taskId)", metavar="ID")]


def task_show(
    task_id: TaskId,
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Print a task's record (state, progress, failure, result URLs); waits for nothing."""
    conn = Connection(base_url, api_key, as_json)

    def body(client: Client) -> None:
        task = client.get_task(task_id)
        if as_json:
            display.print_json(display.task_json(task))
        else:
            display.print_task(task)

    run(conn, "task show", body)


def task_wait(
    task_id: TaskId,
    out: OutDir = Path("."),
    timeout: Timeout = DEFAULT_WAIT_TIMEOUT,
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Wait for a task to finish and download its results."""
    conn = Connection(base_url, api_key, as_json)

    def body(client: Client) -> None:
        target = output_dir(out)
        task = client.get_task(task_id)
        finish(client, conn, task, target, timeout)

    run(conn, "task wait", body)
