"""``imagegate admin keys ...``: list, create, revoke and rotate API keys; set their spending
caps and IP allow-lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from imagegate.cli.admin.database import DataDir, run
from imagegate.cli.admin.output import AsJson, echo_json, fail
from imagegate.errors import ValidationFailed

if TYPE_CHECKING:
    from imagegate.launch import AdminOperations

keys_app = typer.Typer(help="List, create, revoke, rotate API keys; set caps.",
                       no_args_is_help=True)

CapOption = Annotated[
    str | None, typer.Option(help="Credits, or 'none' to remove the cap (default: no cap)")
]
IpAllow = Annotated[
    str | None,
    typer.Option("--ip-allow", help="Comma-separated addresses/CIDRs, or 'none' for any"),
]


def _limits(
    hourly_cap: str | None, daily_cap: str | None, total_cap: str | None, ip_allow: str | None
) -> dict[str, Any]:
    """The limits the options give, by the operations' names (admin_operations.LIMIT_FIELDS):
    caps in credits, the allow-list's entries; None to remove one; an option left out is not
    there."""
    changes: dict[str, Any] = {}
    for field, option, value in (("hourlyCap", "--hourly-cap", hourly_cap),
                                 ("dailyCap", "--daily-cap", daily_cap),
                                 ("totalCap", "--total-cap", total_cap)):
        if value is not None:
            changes[field] = _parse_cap(option, value)
    if ip_allow is not None:
        changes["ipAllow"] = None if ip_allow.strip().lower() == "none" else ip_allow.split(",")
    return changes


def _parse_cap(option: str, value: str) -> float | None:
    """A cap option's credits, or None to remove the cap."""
    if value.strip().lower() in ("none", "off", ""):
        return None
    try:
        credits = float(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a number of credits (or 'none')")
    if not 0 <= credits <= 1e12:
        fail(f"{option}: must be from 0 to 1e12 credits (got {value})")
    return credits


def _key_line(view: dict[str, Any]) -> str:
    caps = ", ".join(
        f"{label} {view[field]}" for label, field in
        (("hourly", "hourlyCap"), ("daily", "dailyCap"), ("total", "totalCap"))
        if view[field] is not None
    )
    allow = ",".join(view["ipAllow"]) if view["ipAllow"] else None
    parts = [view["id"], f"account={view['accountId']}", f"{view['keyPrefix']}...",
             view["status"], repr(view["name"])]
    if view.get("expiresAt") and view["status"] == "active":
        parts.append(f"expires_at={view['expiresAt']}")
    if caps:
        parts.append(f"caps: {caps}")
    if allow:
        parts.append(f"ip-allow: {allow}")
    if "spent" in view:
        s = view["spent"]
        parts.append(f"spent: hour {s['hourly']}, day {s['daily']}, total {s['total']}")
    return "  ".join(parts)


@keys_app.command("list")
def keys_list(
    account_id: Annotated[
        str | None, typer.Option("--account", help="Only this account's keys")
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Every key (never the key itself): status, caps, allow-list, what it spent."""

    async def work(ops: AdminOperations) -> list[dict[str, Any]]:
        return await ops.list_keys(account_id)

    views = run(data_dir, work)
    if as_json:
        echo_json(views)
        return
    for view in views:
        typer.echo(_key_line(view))


@keys_app.command("create")
def keys_create(
    account_id: Annotated[str, typer.Argument(help="The account the key is for")],
    name: Annotated[str | None, typer.Option("--name", help="What the key is for")] = None,
    hourly_cap: CapOption = None,
    daily_cap: CapOption = None,
    total_cap: CapOption = None,
    ip_allow: IpAllow = None,
    expires_at: Annotated[
        str | None,
        typer.Option("--expires-at", help="When the key stops working: epoch ms, or an ISO-8601"
                     " time such as 2030-01-31T12:00:00Z (UTC without an offset); default: never"),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Add a key to an account; the key is printed alone on the last line."""
    limits = _limits(hourly_cap, daily_cap, total_cap, ip_allow)

    async def work(ops: AdminOperations) -> dict[str, Any] | None:
        return await ops.add_key(account_id, name, limits, expires_at)

    made = run(data_dir, work)
    if made is None:
        fail(f"account not found: {account_id}")
    typer.echo(f"created key: {_key_line(made)}")
    typer.echo(made["apiKey"])


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `admin keys list`)")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key: refused (401) within 2 s on every server."""

    async def work(ops: AdminOperations) -> dict[str, Any] | None:
        return await ops.revoke_key(key_id)

    if run(data_dir, work) is None:
        fail(f"API key not found: {key_id}")
    typer.echo(f"revoked key {key_id}")


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `admin keys list`)")],
    grace: Annotated[
        float, typer.Option("--grace", min=0, max=30 * 86_400,
                            help="Seconds the old key keeps working (default: a day)")
    ] = 86_400,
    data_dir: DataDir = None,
) -> None:
    """Replace a key (same name, caps, allow-list); the old one works for --grace seconds.
    The new key is printed alone on the last line."""

    async def work(ops: AdminOperations) -> dict[str, Any] | None:
        try:
            return await ops.rotate_key(key_id, grace)
        except ValidationFailed:  # the key is revoked or expired
            fail(f"key {key_id} is revoked or expired; create a new key instead")

    new = run(data_dir, work)
    if new is None:
        fail(f"API key not found: {key_id}")
    old = new["previous"]
    typer.echo(f"rotated key {old['id']}: it stops at {old['expiresAt']} (epoch ms);"
               f" new key {new['id']}")
    typer.echo(new["apiKey"])


@keys_app.command("caps")
def keys_caps(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `admin keys list`)")],
    hourly_cap: CapOption = None,
    daily_cap: CapOption = None,
    total_cap: CapOption = None,
    ip_allow: IpAllow = None,
    data_dir: DataDir = None,
) -> None:
    """Set a key's spending caps and IP allow-list; an option left out keeps its value."""
    changes = _limits(hourly_cap, daily_cap, total_cap, ip_allow)

    async def work(ops: AdminOperations) -> dict[str, Any] | None:
        return await ops.set_limits(key_id, changes)

    key = run(data_dir, work)
    if key is None:
        fail(f"API key not found: {key_id}")
    typer.echo(_key_line(key))
