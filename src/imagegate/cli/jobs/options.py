"""The options the client commands share: where the API is, the key, the output and waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_WAIT_TIMEOUT = 600.0

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
