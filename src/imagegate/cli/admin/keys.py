"""``imagegate admin keys ...``: list, create, revoke and rotate API keys; set their spending
caps and IP allow-lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from imagegate.cli.admin.database import DataDir, run
from imagegate.cli.admin.output import AsJson, echo_json, fail

if TYPE_CHECKING:
    from imagegate.accounts.store import ApiKeyStore as ApiKeys
    from imagegate.backend import Backend

keys_app = typer.Typer(help="List, create, revoke, rotate API keys; set caps.",
                       no_args_is_help=True)

CapOption = Annotated[
    str | None, typer.Option(help="Credits, or 'none' to remove the cap (default: no cap)")
]
IpAllow = Annotated[
    str | None,
    typer.Option("--ip-allow", help="Comma-separated addresses/CIDRs, or 'none' for any"),
]


def _parse_cap(option: str, value: str | None) -> tuple[bool, int | None]:
    """(whether given, millicredits or None to remove) of a cap option."""
    from imagegate.catalog.pricing import credits_to_milli

    if value is None:
        return False, None
    if value.strip().lower() in ("none", "off", ""):
        return True, None
    try:
        credits = float(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a number of credits (or 'none')")
    if not 0 <= credits <= 1e12:
        fail(f"{option}: must be from 0 to 1e12 credits (got {value})")
    return True, credits_to_milli(credits)


def _parse_allow(value: str | None) -> tuple[bool, str | None]:
    from imagegate.accounts import ip_allow

    if value is None:
        return False, None
    if value.strip().lower() == "none":
        return True, None
    try:
        return True, ip_allow.normalize(value)
    except ValueError as exc:
        fail(f"--ip-allow: {exc}")


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
    from imagegate.api.admin_keys import key_view

    async def work(_backend: Backend, keys: ApiKeys) -> list[dict[str, Any]]:
        return [key_view(k, await keys.spend(k)) for k in await keys.list(account_id)]

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
    from imagegate.accounts.keys import KeyLimits, add_key
    from imagegate.accounts.model import SpendCaps
    from imagegate.api.admin_keys import expires_at_ms, key_view
    from imagegate.clock import now_ms

    caps = SpendCaps(_parse_cap("--hourly-cap", hourly_cap)[1],
                     _parse_cap("--daily-cap", daily_cap)[1],
                     _parse_cap("--total-cap", total_cap)[1])
    try:
        expiry = expires_at_ms(expires_at, now_ms())
    except ValueError as exc:
        fail(f"--expires-at: {exc}")
    limits = KeyLimits(caps, _parse_allow(ip_allow)[1], expiry)

    async def work(_backend: Backend, keys: ApiKeys) -> Any:
        return await add_key(keys, account_id, name, limits)

    made = run(data_dir, work)
    if made is None:
        fail(f"account not found: {account_id}")
    key, secret = made
    typer.echo(f"created key: {_key_line(key_view(key))}")
    typer.echo(secret)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `admin keys list`)")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key: refused (401) within 2 s on every server."""

    async def work(_backend: Backend, keys: ApiKeys) -> Any:
        return await keys.revoke(key_id)

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
    from imagegate.accounts.keys import rotate_key
    from imagegate.clock import now_ms

    async def work(_backend: Backend, keys: ApiKeys) -> Any:
        old = await keys.get(key_id)
        if old is None:
            fail(f"API key not found: {key_id}")
        if not old.valid_at(now_ms()):
            fail(f"key {key_id} is revoked or expired; create a new key instead")
        return await rotate_key(keys, key_id, grace)

    rotated = run(data_dir, work)
    if rotated is None:
        fail(f"API key not found: {key_id}")
    old, new, secret = rotated
    typer.echo(f"rotated key {old.id}: it stops at {old.expires_at} (epoch ms); new key {new.id}")
    typer.echo(secret)


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
    from imagegate.accounts.model import SpendCaps
    from imagegate.api.admin_keys import key_view

    given = [_parse_cap("--hourly-cap", hourly_cap), _parse_cap("--daily-cap", daily_cap),
             _parse_cap("--total-cap", total_cap)]
    allow_given, allowed = _parse_allow(ip_allow)

    async def work(_backend: Backend, keys: ApiKeys) -> Any:
        key = await keys.get(key_id)
        if key is None:
            fail(f"API key not found: {key_id}")
        current = (key.caps.hourly_milli, key.caps.daily_milli, key.caps.total_milli)
        caps = SpendCaps(*(value if set_ else old for (set_, value), old in zip(
            given, current, strict=True)))
        updated = await keys.set_limits(
            key_id, caps, allowed if allow_given else key.ip_allow
        )
        assert updated is not None  # no operation deletes a key
        return key_view(updated, await keys.spend(updated))

    typer.echo(_key_line(run(data_dir, work)))
