"""``imagegate admin accounts ...``: list, create, top up, disable and enable accounts, and set
how their callbacks are signed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from imagegate.cli.admin.database import DataDir, run
from imagegate.cli.admin.output import AsJson, echo_json, fail
from imagegate.errors import ValidationFailed

if TYPE_CHECKING:
    from imagegate.launch import AdminOperations

accounts_app = typer.Typer(help="List, create, top up, disable accounts.", no_args_is_help=True)


@accounts_app.command("list")
def accounts_list(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Every account: id, name, balance, whether disabled."""

    async def work(ops: AdminOperations) -> list[dict[str, Any]]:
        return await ops.list_accounts()

    accounts = run(data_dir, work)
    if as_json:
        echo_json(accounts)
        return
    for a in accounts:
        state = " DISABLED" if a["disabled"] else ""
        typer.echo(f"{a['id']}  {a['name']!r}  credits={a['credits']}{state}")


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option("--name", help="Account name")],
    credits: Annotated[float, typer.Option("--credits", min=0, help="Starting balance")] = 0.0,
    data_dir: DataDir = None,
) -> None:
    """Create an account and its first key; the key is printed alone on the last line."""

    async def work(ops: AdminOperations) -> dict[str, Any]:
        return await ops.create_account(name, credits)

    echo_created(run(data_dir, work), credits)


def echo_created(account: dict[str, Any], credits: float) -> None:
    """A new account's line, then its key alone on the last line."""
    typer.echo(f"created account {account['name']!r} ({account['id']}) with {credits:g} credits")
    typer.echo(account["apiKey"])


@accounts_app.command("top-up")
def accounts_top_up(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    credits: Annotated[float, typer.Option("--credits", help="Credits to add (negative: take)")],
    data_dir: DataDir = None,
) -> None:
    """Add credits to an account; prints the new balance."""

    async def work(ops: AdminOperations) -> float | int | None:
        return await ops.grant_credits(account_id, credits)

    balance = run(data_dir, work)
    if balance is None:
        fail(f"account not found: {account_id}")
    typer.echo(f"account {account_id}: balance {balance}")


def _set_disabled(account_id: str, disabled: bool, data_dir: Path | None) -> None:
    async def work(ops: AdminOperations) -> bool:
        return await ops.set_account_disabled(account_id, disabled)

    if not run(data_dir, work):
        fail(f"account not found: {account_id}")
    typer.echo(f"account {account_id}: {'disabled' if disabled else 'enabled'}")


@accounts_app.command("disable")
def accounts_disable(
    account_id: Annotated[str, typer.Argument(help="The account's id")], data_dir: DataDir = None
) -> None:
    """Turn every key of the account off (401); its created tasks still run."""
    _set_disabled(account_id, True, data_dir)


@accounts_app.command("enable")
def accounts_enable(
    account_id: Annotated[str, typer.Argument(help="The account's id")], data_dir: DataDir = None
) -> None:
    """Turn a disabled account's keys on again."""
    _set_disabled(account_id, False, data_dir)


@accounts_app.command("webhook")
def accounts_webhook(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    scheme: Annotated[str, typer.Option(
        "--scheme", help="kie (Kie's X-Webhook-Signature) or standard (Standard Webhooks)"
    )] = "kie",
    secret: Annotated[str | None, typer.Option(
        "--secret", help="New signing secret (standard: whsec_<base64>); default: unchanged"
    )] = None,
    no_secret: Annotated[bool, typer.Option(
        "--no-secret", help="Remove the secret: callbacks go unsigned"
    )] = False,
    data_dir: DataDir = None,
) -> None:
    """Choose how the account's callbacks are signed, and set or remove its secret."""

    async def work(ops: AdminOperations) -> dict[str, Any] | None:
        return await ops.set_webhook(
            account_id, scheme, None if no_secret else secret,
            keep_secret=secret is None and not no_secret,
        )

    try:
        view = run(data_dir, work)
    except ValidationFailed as exc:
        raise typer.BadParameter(exc.problem, param_hint=f"--{exc.field}") from exc
    if view is None:
        fail(f"account not found: {account_id}")
    signed = "signed" if view["hasWebhookSecret"] else "unsigned (no secret)"
    typer.echo(f"account {account_id}: webhooks {view['webhookScheme']}, {signed}")
