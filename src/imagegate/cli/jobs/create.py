"""The commands that create a task: ``reframe``, ``edit``, ``generate``; each waits for it and
downloads the results unless ``--no-wait``."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from imagegate.cli import display
from imagegate.cli.jobs.options import (
    DEFAULT_WAIT_TIMEOUT,
    ApiKey,
    AsJson,
    BaseUrl,
    CallbackUrl,
    ImageArg,
    NoWait,
    OutDir,
    Sets,
    Timeout,
)
from imagegate.cli.jobs.running import Connection, run
from imagegate.cli.jobs.waiting import finish, output_dir

if TYPE_CHECKING:
    from imagegate.client import Client, Task


class Speed(StrEnum):
    TURBO = "TURBO"
    BALANCED = "BALANCED"
    QUALITY = "QUALITY"


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


def _create(
    conn: Connection,
    command: str,
    make: Callable[[Client], Task],
    out: Path,
    timeout: float,
    no_wait: bool,
) -> None:
    def body(client: Client) -> None:
        target = out if no_wait else output_dir(out)
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
        finish(client, conn, task, target, timeout)

    run(conn, command, body)


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
