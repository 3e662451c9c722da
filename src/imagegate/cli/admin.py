"""``imagegate admin ...``: the operator's controls on the database the settings name
(IMAGEGATE_DATABASE_URL, else the data directory's SQLite file), SQLite or PostgreSQL alike.

The same operations as the admin API (api/admin*.py); a running server sees a change within
its caches' TTL (2 s). Keys are printed once, alone on the last line, when created or
rotated; only their hashes are stored.

``admin callbacks`` is the exception: it asks a running server over HTTP (--base-url, the
admin key), because a redelivery is sent by that server's callback sender, which the
endpoint wakes at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from imagegate.cli.failures import EXIT_API, EXIT_USAGE
from imagegate.settings import load_settings

if TYPE_CHECKING:
    from imagegate.accounts.store import ApiKeyStore as ApiKeys
    from imagegate.backend import Backend

T = TypeVar("T")

admin_app = typer.Typer(
    help="Operate the service: accounts, API keys, maintenance, models.", no_args_is_help=True
)
accounts_app = typer.Typer(help="List, create, top up, disable accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="List, create, revoke, rotate API keys; set caps.",
                       no_args_is_help=True)
maintenance_app = typer.Typer(help="Refuse new tasks (455) while running ones finish.",
                              no_args_is_help=True)
models_app = typer.Typer(help="Turn models off (505) or on.", no_args_is_help=True)
callbacks_app = typer.Typer(
    help="A task's callback: every delivery attempt; send it again. Asks a running server.",
    no_args_is_help=True,
)
admin_app.add_typer(accounts_app, name="accounts")
admin_app.add_typer(keys_app, name="keys")
admin_app.add_typer(maintenance_app, name="maintenance")
admin_app.add_typer(models_app, name="models")
admin_app.add_typer(callbacks_app, name="callbacks")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the database and files live (env IMAGEGATE_DATA_DIR)"),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON")]
CapOption = Annotated[
    str | None, typer.Option(help="Credits, or 'none' to remove the cap (default: no cap)")
]
IpAllow = Annotated[
    str | None,
    typer.Option("--ip-allow", help="Comma-separated addresses/CIDRs, or 'none' for any"),
]


def fail(message: str) -> NoReturn:
    typer.echo(f"imagegate: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def run(data_dir: Path | None, work: Callable[[Backend, ApiKeys], Awaitable[T]]) -> T:
    """Open the configured database, run ``work`` on it, close it."""
    from imagegate.backend import open_postgres, open_sqlite
    from imagegate.db.postgres.database import is_postgres_url
    from imagegate.errors import ApiError

    try:
        url = load_settings(data_dir=data_dir).resolved_database_url
    except ValueError as exc:
        fail(f"configuration error: {exc}")

    async def main() -> T:
        backend = await open_postgres(url, pool_size=1) if is_postgres_url(url) else (
            open_sqlite(url)
        )
        try:
            return await work(backend, backend.api_keys)
        finally:
            await backend.close()

    try:
        return asyncio.run(main())
    except ApiError as exc:  # the operations' own refusals (unknown account, bad value)
        fail(exc.msg)


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True))


def parse_cap(option: str, value: str | None) -> tuple[bool, int | None]:
    """(whether given, millicredits or None to remove) of a cap option."""
    from imagegate.accounts.model import credits_to_milli

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


def parse_allow(value: str | None) -> tuple[bool, str | None]:
    from imagegate.accounts import ip_allow

    if value is None:
        return False, None
    if value.strip().lower() == "none":
        return True, None
    try:
        return True, ip_allow.normalize(value)
    except ValueError as exc:
        fail(f"--ip-allow: {exc}")


# ------------------------------------------------------------------ accounts


@accounts_app.command("list")
def accounts_list(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Every account: id, name, balance, whether disabled."""
    from imagegate.api.admin import account_view

    async def work(backend: Backend, _keys: ApiKeys) -> list[dict[str, Any]]:
        return [account_view(a) for a in await backend.store.list_accounts()]

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
    from imagegate.accounts.keys import AccountRequest, create_account

    async def work(backend: Backend, _keys: ApiKeys) -> tuple[Any, str]:
        return await create_account(backend.store, AccountRequest(name, credits))

    account, key = run(data_dir, work)
    typer.echo(f"created account {account.name!r} ({account.id}) with {credits:g} credits")
    typer.echo(key)


@accounts_app.command("top-up")
def accounts_top_up(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    credits: Annotated[float, typer.Option("--credits", help="Credits to add (negative: take)")],
    data_dir: DataDir = None,
) -> None:
    """Add credits to an account; prints the new balance."""
    from imagegate.accounts.model import credits_to_milli, milli_to_credits

    async def work(backend: Backend, _keys: ApiKeys) -> int | None:
        return await backend.store.grant_credits(account_id, credits_to_milli(credits))

    balance = run(data_dir, work)
    if balance is None:
        fail(f"account not found: {account_id}")
    typer.echo(f"account {account_id}: balance {milli_to_credits(balance)}")


def _set_disabled(account_id: str, disabled: bool, data_dir: Path | None) -> None:
    async def work(_backend: Backend, keys: ApiKeys) -> bool:
        return await keys.set_account_disabled(account_id, disabled)

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


# ------------------------------------------------------------------ keys


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

    caps = SpendCaps(parse_cap("--hourly-cap", hourly_cap)[1],
                     parse_cap("--daily-cap", daily_cap)[1],
                     parse_cap("--total-cap", total_cap)[1])
    try:
        expiry = expires_at_ms(expires_at, now_ms())
    except ValueError as exc:
        fail(f"--expires-at: {exc}")
    limits = KeyLimits(caps, parse_allow(ip_allow)[1], expiry)

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

    given = [parse_cap("--hourly-cap", hourly_cap), parse_cap("--daily-cap", daily_cap),
             parse_cap("--total-cap", total_cap)]
    allow_given, allowed = parse_allow(ip_allow)

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


# ------------------------------------------------------------------ maintenance, models


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


# ------------------------------------------------------------------ callbacks (over HTTP)

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


def admin_api(method: str, path: str, base_url: str | None, admin_key: str | None) -> Any:
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
    view = admin_api("GET", _callbacks_path(task_id), base_url, admin_key)
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
    view = admin_api("POST", _callbacks_path(task_id) + "/redeliver", base_url, admin_key)
    if as_json:
        echo_json(view)
    else:
        _echo_deliveries(view)
