"""How a client command runs: a client made from the connection options, and every failure
turned into its message (with ``--json``, a JSON document) and exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import typer

from imagegate.cli import display
from imagegate.cli.failures import (
    EXIT_API,
    EXIT_TASK_FAILED,
    EXIT_TIMEOUT,
    NO_KEY,
    explain,
)
from imagegate.errors import CliFailure

if TYPE_CHECKING:
    from imagegate.client import Client, Task


@dataclass(frozen=True)
class Connection:
    base_url: str | None
    api_key: str | None
    as_json: bool

    def client(self) -> Client:
        """A client from the options, then the environment (IMAGEGATE_BASE_URL,
        IMAGEGATE_UPLOAD_BASE_URL, IMAGEGATE_API_KEY, KIE_API_KEY)."""
        from imagegate.client import Client

        made = Client(api_key=self.api_key or None, base_url=self.base_url or None)
        if not made.settings.api_key:
            made.close()
            raise CliFailure(NO_KEY, EXIT_API)
        return made


def run(conn: Connection, command: str, body: Callable[[Client], None]) -> None:
    """Run ``body`` with a client; turn every failure into its message and exit code."""
    from imagegate import client as api

    base_url = conn.base_url or "the server"
    try:
        with conn.client() as made:
            base_url = made.settings.base_url
            body(made)
    except CliFailure as failure:
        _fail(conn, failure.message, failure.code)
    except api.TaskFailed as error:
        task = error.task
        reason = " ".join(str(part) for part in (task.fail_code, task.fail_msg) if part)
        _fail(
            conn,
            f"task {task.task_id} failed: {reason or 'no reason given'}; check the input and run"
            f" the command again (the record: imagegate task show {task.task_id})",
            EXIT_TASK_FAILED,
            task,
        )
    except api.WaitTimeout as error:
        task = error.task
        _fail(
            conn,
            f"timed out waiting for task {task.task_id} ({task.state}); the task is still running:"
            f" imagegate task wait {task.task_id}",
            EXIT_TIMEOUT,
            task,
        )
    except api.ClientError as error:
        _fail(conn, explain(error, base_url, command), EXIT_API)
    except httpx.HTTPError as error:  # should the client let one through
        unreachable = api.TransportError(str(error))
        _fail(conn, explain(unreachable, base_url, command), EXIT_API)
    except OSError as error:  # the local disk: reading IMAGE, writing the results
        _fail(conn, f"{error}; check IMAGE and -o/--output-dir", EXIT_API)


def _fail(conn: Connection, message: str, code: int, task: Task | None = None) -> None:
    if conn.as_json:
        document: dict[str, Any] = {"error": {"message": message, "exitCode": code}}
        if task is not None:
            document = {**display.task_json(task), **document}
        display.print_json(document)
    display.note(f"error: {message}")
    raise typer.Exit(code)
