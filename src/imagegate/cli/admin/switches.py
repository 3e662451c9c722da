"""``imagegate admin maintenance ...`` and ``admin models ...``: the service's switches, which
refuse new tasks (455) or a model's tasks (505) while running ones finish."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from imagegate.cli.admin.database import DataDir, run

maintenance_app = typer.Typer(help="Refuse new tasks (455) while running ones finish.",
                              no_args_is_help=True)
models_app = typer.Typer(help="Turn models off (505) or on.", no_args_is_help=True)

def _echo_maintenance(state: dict[str, Any]) -> None:
    if not state["on"]:
        typer.echo("maintenance: off")
    else:
        note = f" ({state['message']})" if state["message"] else ""
        typer.echo(f"maintenance: on since {state['since']} (epoch ms){note}")


@maintenance_app.command("on")
def maintenance_on(
    message: Annotated[
        str | None, typer.Option("--message", help="Added to the 455 answer's msg")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """createTask answers 455 (HTTP 503) within 2 s; running tasks finish, queries answer."""
    _echo_maintenance(run(data_dir, lambda ops: ops.set_maintenance(True, message)))


@maintenance_app.command("off")
def maintenance_off(data_dir: DataDir = None) -> None:
    """Accept new tasks again."""
    _echo_maintenance(run(data_dir, lambda ops: ops.set_maintenance(False)))


@maintenance_app.command("status")
def maintenance_status(data_dir: DataDir = None) -> None:
    """Whether maintenance is on, since when, with which message."""
    _echo_maintenance(run(data_dir, lambda ops: ops.maintenance()))


def _echo_models(models: list[dict[str, Any]]) -> None:
    for view in models:
        if view["enabled"]:
            typer.echo(f"{view['model']}  enabled")
        else:
            reason = view["reason"]
            typer.echo(f"{view['model']}  disabled" + (f" ({reason})" if reason else ""))


@models_app.command("disable")
def models_disable(
    model: Annotated[str, typer.Argument(help="e.g. qwen/image-edit")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Added to the 505 answer's msg")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """createTask of this model answers 505 (HTTP 403) within 2 s."""
    _echo_models(run(data_dir, lambda ops: ops.set_model(model, False, reason)))


@models_app.command("enable")
def models_enable(
    model: Annotated[str, typer.Argument(help="e.g. qwen/image-edit")], data_dir: DataDir = None
) -> None:
    """Accept tasks of this model again."""
    _echo_models(run(data_dir, lambda ops: ops.set_model(model, True)))


@models_app.command("list")
def models_list(data_dir: DataDir = None) -> None:
    """Every model of the catalog, enabled or disabled (with the reason)."""
    _echo_models(run(data_dir, lambda ops: ops.models()))
