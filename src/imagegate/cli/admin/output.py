"""How an admin command answers: ``--json`` output, and a refusal on stderr with exit 2."""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer

from imagegate.cli.failures import EXIT_USAGE

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON")]


def fail(message: str) -> NoReturn:
    typer.echo(f"imagegate: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True))
