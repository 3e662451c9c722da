"""``imagegate admin callbacks ...``: a task's callback deliveries and its redelivery, asked of a
running server over HTTP (its callback sender sends the redelivery); a refusal is exit 3."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated, Any, NoReturn

import typer

from imagegate.cli.admin.output import AsJson, echo_json, fail
from imagegate.cli.failures import EXIT_API

callbacks_app = typer.Typer(
    help="A task's callback: every delivery attempt; send it again. Asks a running server.",
    no_args_is_help=True,
)


DEFAULT_BASE_URL = "http://127.0.0.1:8000"
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url",
                 help=f"The server's URL (env IMAGEGATE_BASE_URL; default {DEFAULT_BASE_URL})"),
]
AdminKey = Annotated[
    str | None, typer.Option("--admin-key", help="The admin key (env IMAGEGATE_ADMIN_KEY)")
]
TaskId = Annotated[str, typer.Argument(help="The task's id")]


def _admin_api(method: str, path: str, base_url: str | None, admin_key: str | None) -> Any:
    """The ``data`` of the admin API's answer; a refusal or an unreachable server is exit 3
    with the server's own words."""
    import httpx

    url = (base_url or os.environ.get("IMAGEGATE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    key = admin_key or os.environ.get("IMAGEGATE_ADMIN_KEY")
    if not key:
        fail("no admin key: set IMAGEGATE_ADMIN_KEY or pass --admin-key")
    try:
        response = httpx.request(method, url + path, timeout=30.0,
                                 headers={"Authorization": f"Bearer {key}"})
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        _refused(f"the server at {url} is unavailable ({exc}): check that it runs and that"
                 " --base-url / IMAGEGATE_BASE_URL point at it")
    try:
        answer = response.json()
    except ValueError:
        _refused(f"the server at {url} answered HTTP {response.status_code} without the API's"
                 " JSON: check --base-url / IMAGEGATE_BASE_URL")
    if not isinstance(answer, dict) or answer.get("code") != 200:
        said = answer.get("msg") if isinstance(answer, dict) else None
        hint = ": check IMAGEGATE_ADMIN_KEY / --admin-key" if response.status_code == 401 else ""
        _refused(f"{said or f'HTTP {response.status_code}'}{hint}")
    return answer["data"]


def _refused(message: str) -> NoReturn:
    typer.echo(f"imagegate: {message}", err=True)
    raise typer.Exit(EXIT_API)


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds")


def _echo_deliveries(view: dict[str, Any]) -> None:
    head = f"task {view['taskId']}  callback {view['state']}"
    if view["url"]:
        head += f"  {view['url']}"
    if view["nextAttemptAt"] is not None:
        head += f"  next attempt {_when(view['nextAttemptAt'])}"
    if view["deliveredAt"] is not None:
        head += f"  delivered {_when(view['deliveredAt'])}"
    typer.echo(head)
    for a in view["attempts"]:
        outcome = f"HTTP {a['status']}" if a["status"] is not None else "no answer"
        error = f"  {a['error']}" if a["error"] else ""
        typer.echo(f"  attempt {a['attempt']}  {_when(a['at'])}  {outcome}"
                   f"  {a['durationMs']} ms{error}")


def _callbacks_path(task_id: str) -> str:
    from urllib.parse import quote

    return f"/api/admin/tasks/{quote(task_id, safe='')}/callbacks"


@callbacks_app.command("show")
def callbacks_show(
    task_id: TaskId, base_url: BaseUrl = None, admin_key: AdminKey = None, as_json: AsJson = False
) -> None:
    """The task's callback (any account's): its URL and state, and every delivery attempt
    with its time (UTC), HTTP status or error, and duration. Exit 3 if the server refuses."""
    view = _admin_api("GET", _callbacks_path(task_id), base_url, admin_key)
    if as_json:
        echo_json(view)
    else:
        _echo_deliveries(view)


@callbacks_app.command("redeliver")
def callbacks_redeliver(
    task_id: TaskId, base_url: BaseUrl = None, admin_key: AdminKey = None, as_json: AsJson = False
) -> None:
    """Send the task's callback again (pending now, a fresh budget of attempts), whatever
    became of it; prints its state after queueing. Exit 3 if the server refuses (a task
    without a callback, or not finished)."""
    view = _admin_api("POST", _callbacks_path(task_id) + "/redeliver", base_url, admin_key)
    if as_json:
        echo_json(view)
    else:
        _echo_deliveries(view)
