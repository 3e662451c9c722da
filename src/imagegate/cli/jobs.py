"""The client commands: ``reframe``, ``edit``, ``generate``, ``task show|wait``, ``credits``.

Thin layers over ``imagegate.client.Client``: they create a task (uploading a local IMAGE
first), wait for it while showing its progress on stderr, download the results into the output
directory as ``{taskId}-{n}.{ext}`` and print the paths (or, with ``--json``, one JSON document)
on stdout. The client is imported when a command runs, so the server's commands never load it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from imagegate.cli import display
from imagegate.cli.failures import (
    EXIT_API,
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_TASK_FAILED,
    EXIT_TIMEOUT,
    NO_KEY,
    CliFailure,
    explain,
)

if TYPE_CHECKING:
    from imagegate.client import Client, Task

DEFAULT_WAIT_TIMEOUT = 600.0

# ------------------------------------------------------------------ the common options

_CONNECTION = "Connection"
_OUTPUT = "Output"

BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The API's base URL (env IMAGEGATE_BASE_URL; default http://127.0.0.1:8000)",
        rich_help_panel=_CONNECTION,
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="The account's API key (env IMAGEGATE_API_KEY, else KIE_API_KEY)",
        rich_help_panel=_CONNECTION,
    ),
]
AsJson = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout (taskId, state, the task record, the files)"
        " and nothing else",
        rich_help_panel=_OUTPUT,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0,
        help="Seconds to wait for the task before giving up (exit 5; the task goes on)",
        rich_help_panel=_CONNECTION,
    ),
]
NoWait = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help="Print the task id as soon as the task is created, without waiting",
        rich_help_panel=_OUTPUT,
    ),
]
OutDir = Annotated[
    Path,
    typer.Option(
        "-o",
        "--output-dir",
        help="Where the results are written, as {taskId}-{n}.{ext}",
        file_okay=False,
        rich_help_panel=_OUTPUT,
    ),
]
CallbackUrl = Annotated[
    str | None,
    typer.Option("--callback-url", help="The server POSTs the finished task here"),
]
Sets = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Another input field, key=value (the value is read as JSON when it parses:"
        " --set num_images=2 --set output_format=png); repeatable",
    ),
]


ImageArg = Annotated[
    str, typer.Argument(help="A local image file (uploaded first) or a URL", metavar="IMAGE")
]


class Speed(StrEnum):
    TURBO = "TURBO"
    BALANCED = "BALANCED"
    QUALITY = "QUALITY"


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


# ------------------------------------------------------------------ running a command


def _run(conn: Connection, command: str, body: Callable[[Client], None]) -> None:
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
    except api.ImagegateError as error:
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


def _interrupted(task_id: str) -> None:
    display.note(
        f"\ninterrupted; the task goes on: imagegate task wait {task_id}"
        f" (its record: imagegate task show {task_id})"
    )
    raise typer.Exit(EXIT_INTERRUPTED)


def _output_dir(path: Path) -> Path:
    """Made before anything is paid for: a bad -o is a usage error (exit 2)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise typer.BadParameter(f"cannot create {path}: {error}", param_hint="-o") from error
    return path


def _image(value: str) -> str | Path:
    """A URL as is; anything else a local file the client uploads first."""
    if value.startswith(("http://", "https://")):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise typer.BadParameter(
            f"no such file: {value} (give a local image file or an http(s) URL)",
            param_hint="IMAGE",
        )
    return path


def _parse_sets(values: list[str] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--set")
        try:
            fields[key.strip()] = json.loads(raw)
        except ValueError:
            fields[key.strip()] = raw
    return fields


def _finish(client: Client, conn: Connection, task: Task, out: Path, timeout: float) -> None:
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


def _create(
    conn: Connection,
    command: str,
    make: Callable[[Client], Task],
    out: Path,
    timeout: float,
    no_wait: bool,
) -> None:
    def body(client: Client) -> None:
        target = out if no_wait else _output_dir(out)
        task = make(client)
        if no_wait:
            if conn.as_json:
                display.print_json(display.task_json(task))
            else:
                print(task.task_id, flush=True)
            display.note(
                f"task {task.task_id} created; wait for it: imagegate task wait {task.task_id}"
            )
            return
        display.note(f"task {task.task_id} created")
        _finish(client, conn, task, target, timeout)

    _run(conn, command, body)


# ------------------------------------------------------------------ the commands


def reframe(
    image: ImageArg,
    size: Annotated[
        str,
        typer.Option(
            "--size",
            help="The output size: square, square_hd, portrait_4_3, portrait_16_9,"
            " landscape_4_3, landscape_16_9 or an Ideogram resolution such as 1344x768",
        ),
    ],
    num_images: Annotated[
        int, typer.Option("-n", "--num-images", min=1, max=4, help="How many images")
    ] = 1,
    seed: Annotated[int | None, typer.Option("--seed", help="Same seed, same images")] = None,
    speed: Annotated[Speed, typer.Option("--speed", help="Rendering speed")] = Speed.BALANCED,
    style: Annotated[
        str | None, typer.Option("--style", help="AUTO, GENERAL, REALISTIC or DESIGN")
    ] = None,
    callback_url: CallbackUrl = None,
    out: OutDir = Path("."),
    no_wait: NoWait = False,
    timeout: Timeout = DEFAULT_WAIT_TIMEOUT,
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Extend IMAGE to a new size (ideogram/v3-reframe) and download the results."""
    source = _image(image)
    conn = Connection(base_url, api_key, as_json)
    _create(
        conn,
        "reframe",
        lambda client: client.reframe(
            source,
            size,
            num_images=num_images,
            seed=seed,
            rendering_speed=speed.value,
            style=style,
            callback_url=callback_url,
        ),
        out,
        timeout,
        no_wait,
    )


def edit(
    image: ImageArg,
    prompt: Annotated[str, typer.Option("--prompt", "-p", help="What to change")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The edit model [default qwen/image-edit]")
    ] = None,
    sets: Sets = None,
    callback_url: CallbackUrl = None,
    out: OutDir = Path("."),
    no_wait: NoWait = False,
    timeout: Timeout = DEFAULT_WAIT_TIMEOUT,
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Edit IMAGE as the prompt says and download the results."""
    source = _image(image)
    fields = _parse_sets(sets)
    if model:
        fields["model"] = model
    conn = Connection(base_url, api_key, as_json)
    _create(
        conn,
        "edit",
        lambda client: client.edit(source, prompt, callback_url=callback_url, **fields),
        out,
        timeout,
        no_wait,
    )


def generate(
    model: Annotated[str, typer.Option("--model", "-m", help="The model, e.g. google/imagen4")],
    prompt: Annotated[str, typer.Option("--prompt", "-p", help="What to make")],
    sets: Sets = None,
    callback_url: CallbackUrl = None,
    out: OutDir = Path("."),
    no_wait: NoWait = False,
    timeout: Timeout = DEFAULT_WAIT_TIMEOUT,
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Make images with MODEL from a prompt and download them."""
    fields = _parse_sets(sets)
    conn = Connection(base_url, api_key, as_json)
    _create(
        conn,
        "generate",
        lambda client: client.generate(model, prompt, callback_url=callback_url, **fields),
        out,
        timeout,
        no_wait,
    )


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

    _run(conn, "task show", body)


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
        target = _output_dir(out)
        task = client.get_task(task_id)
        _finish(client, conn, task, target, timeout)

    _run(conn, "task wait", body)


def credits(
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Print the account's credit balance."""
    conn = Connection(base_url, api_key, as_json)

    def body(client: Client) -> None:
        balance = client.credits()
        if as_json:
            display.print_json({"credits": balance})
        else:
            print(f"{balance:g}", flush=True)

    _run(conn, "credits", body)


def register(app: typer.Typer) -> None:
    """Add the client commands to the ``imagegate`` app."""
    for command in (reframe, edit, generate, credits):
        app.command(epilog=EXIT_CODES_HELP)(command)
    task_app = typer.Typer(
        help="Look at or wait for a task by its id.", no_args_is_help=True, epilog=EXIT_CODES_HELP
    )
    task_app.command("show", epilog=EXIT_CODES_HELP)(task_show)
    task_app.command("wait", epilog=EXIT_CODES_HELP)(task_wait)
    app.add_typer(task_app, name="task")
