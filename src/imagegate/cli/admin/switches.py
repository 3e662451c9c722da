"""``imagegate admin maintenance ...`` and ``admin models ...``: the service's switches, which
refuse new tasks (455) or a model's tasks (505) while running ones finish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from imagegate.cli.admin.database import DataDir, run
from imagegate.cli.admin.output import fail

if TYPE_CHECKING:
    from imagegate.accounts.store import ApiKeyStore as ApiKeys
    from imagegate.backend import Backend

maintenance_app = typer.Typer(help="Refuse new tasks (455) while running ones finish.",
                              no_args_is_help=True)
models_app = typer.Typer(help="Turn models off (505) or on.", no_args_is_help=True)


def _switches(data_dir: Path | None, change: Callable[[Any], Awaitable[Any]]) -> Any:
    from imagegate.tasks.switches import ServiceSwitches

    async def work(backend: Backend, _keys: ApiKeys) -> Any:
        return await change(ServiceSwitches(backend.store))

    return run(data_dir, work)


def _echo_maintenance(state: Any) -> None:
    if state.maintenance_since is None:
        typer.echo("maintenance: off")
    else:
        note = f" ({state.maintenance_message})" if state.maintenance_message else ""
        typer.echo(f"maintenance: on since {state.maintenance_since} (epoch ms){note}")


@maintenance_app.command("on")
def maintenance_on(
    message: Annotated[
        str | None, typer.Option("--message", help="Added to the 455 answer's msg")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """createTask answers 455 (HTTP 503) within 2 s; running tasks finish, queries answer."""
    _echo_maintenance(_switches(data_dir, lambda s: s.set_maintenance(True, message)))


@maintenance_app.command("off")
def maintenance_off(data_dir: DataDir = None) -> None:
    """Accept new tasks again."""
    _echo_maintenance(_switches(data_dir, lambda s: s.set_maintenance(False)))


@maintenance_app.command("status")
def maintenance_status(data_dir: DataDir = None) -> None:
    """Whether maintenance is on, since when, with which message."""
    _echo_maintenance(_switches(data_dir, lambda s: s.read()))


def _known_model(model: str) -> str:
    from imagegate.catalog import all_models, get_model

    if get_model(model) is None:
        known = ", ".join(sorted(m.name for m in all_models()))
        fail(f"unknown model {model!r} (known models: {known})")
    return model


def _echo_models(state: Any) -> None:
    from imagegate.catalog import all_models

    for spec in sorted(all_models(), key=lambda m: m.name):
        if spec.name in state.disabled_models:
            reason = state.disabled_models[spec.name]
            typer.echo(f"{spec.name}  disabled" + (f" ({reason})" if reason else ""))
        else:
            typer.echo(f"{spec.name}  enabled")


@models_app.command("disable")
def models_disable(
    model: Annotated[str, typer.Argument(help="e.g. qwen/image-edit")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Added to the 505 answer's msg")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """createTask of this model answers 505 (HTTP 403) within 2 s."""
    _known_model(model)
    _echo_models(_switches(data_dir, lambda s: s.set_model(model, False, reason)))


@models_app.command("enable")
def models_enable(
    model: Annotated[str, typer.Argument(help="e.g. qwen/image-edit")], data_dir: DataDir = None
) -> None:
    """Accept tasks of this model again."""
    _known_model(model)
    _echo_models(_switches(data_dir, lambda s: s.set_model(model, True)))


@models_app.command("list")
def models_list(data_dir: DataDir = None) -> None:
    """Every model of the catalog, enabled or disabled (with the reason)."""
    _echo_models(_switches(data_dir, lambda s: s.read()))
