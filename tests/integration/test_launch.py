"""The runtime's entry points for the commands (launch.py): the operator's operations opened on
the configured database for one command, on a real SQLite file and on PostgreSQL, starting
nothing beside them and leaving their rows for the next command; the routes described from
the settings alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from imagegate.errors import ValidationFailed
from imagegate.launch import describe_routes, operations
from imagegate.settings import Settings

EXPIRES = "2999-01-01T00:00:00Z"
EXPIRES_MS = 32_472_144_000_000


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        return Settings(
            data_dir=tmp_path / "data", database_url=request.getfixturevalue("postgres_url")
        )
    return Settings(data_dir=tmp_path / "data")


async def test_one_command_changes_what_the_next_one_reads(settings: Settings) -> None:
    async with operations(settings) as ops:
        # No worker, callback sender, janitor or engine runs beside the operation.
        assert asyncio.all_tasks() == {asyncio.current_task()}
        made = await ops.create_account("acme", 12.5)
        assert made["name"] == "acme" and made["credits"] == 12.5
        assert made["apiKey"].startswith("ig_")
        key = await ops.add_key(
            made["id"], "ci", {"hourlyCap": 2, "ipAllow": ["10.0.0.0/8", " 192.0.2.1"]}, EXPIRES
        )
        assert key is not None and key["apiKey"].startswith("ig_")
        assert await ops.set_maintenance(True, "upgrade") == {
            "on": True, "since": (await ops.maintenance())["since"], "message": "upgrade"}
        await ops.set_model("qwen/image-edit", False, "gpu")

    async with operations(settings) as ops:
        assert [a["name"] for a in await ops.list_accounts()] == ["acme"]
        # By name: the two keys may share their creation millisecond, where the list's order
        # (oldest first, then by id) is the ids' and random.
        keys = {k["name"]: k for k in await ops.list_keys(made["id"])}
        assert sorted(keys) == ["ci", "first key"]
        ci = keys["ci"]
        assert all("apiKey" not in k for k in keys.values())  # keys are shown once
        assert ci["hourlyCap"] == 2 and ci["ipAllow"] == ["10.0.0.0/8", "192.0.2.1/32"]
        assert ci["expiresAt"] == EXPIRES_MS and ci["spent"]["total"] == 0
        assert (await ops.maintenance())["message"] == "upgrade"
        disabled = [m for m in await ops.models() if not m["enabled"]]
        assert disabled == [{"model": "qwen/image-edit", "enabled": False, "reason": "gpu"}]
        assert await ops.grant_credits(made["id"], -0.25) == 12.25


async def test_refusals_name_the_field_and_unknown_rows_are_none(settings: Settings) -> None:
    async with operations(settings) as ops:
        account = (await ops.create_account("acme"))["id"]
        for call, field in (
            (ops.add_key(account, limits={"ipAllow": ["x"]}), "ipAllow"),
            (ops.add_key(account, expires_at=1_700_000_000), "expiresAt"),
            (ops.create_account("b", create_rate="lots"), "createRate"),
            (ops.set_model("no/such", False), "model"),
        ):
            with pytest.raises(ValidationFailed) as refused:
                await call
            assert refused.value.field == field
        assert await ops.add_key("nope") is None
        assert await ops.grant_credits("nope", 1) is None
        assert await ops.set_account_disabled("nope", True) is False
        for unknown in (ops.revoke_key("nope"), ops.rotate_key("nope", 0),
                        ops.set_limits("nope", {"totalCap": 1})):
            assert await unknown is None
        key = (await ops.list_keys(account))[0]["id"]
        capped = await ops.set_limits(key, {"totalCap": 3})
        assert capped is not None and capped["totalCap"] == 3
        revoked = await ops.revoke_key(key)
        assert revoked is not None and revoked["status"] == "revoked"
        with pytest.raises(ValidationFailed, match="the key is revoked") as refused:
            await ops.rotate_key(key, 0)
        assert refused.value.field == "keyId"


def test_the_routes_come_from_the_settings_alone(tmp_path: Path) -> None:
    table = describe_routes(Settings(data_dir=tmp_path / "data", mock=True))
    assert table.routes and all(engines == ["mock"] for engines in table.routes.values())
    assert table.providers == {}
    assert not (tmp_path / "data").exists()  # no database, no files
    with pytest.raises(ValueError, match="unknown engine 'nowhere'"):
        describe_routes(Settings(data_dir=tmp_path, routes={"qwen/image-edit": ["nowhere"]}))


@pytest.mark.parametrize("database", ["memory", "sqlite", "postgres"])
def test_the_first_start_keys_open_the_server_s_own_rows(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # `imagegate serve` makes its keys before the server's loop runs; the keys it prints must
    # open the rows that server reads: its own store for memory://, the same file or database.
    from imagegate.accounts.keys import hash_key
    from imagegate.launch import first_start
    from imagegate.runtime import Runtime

    urls = {"memory": "memory://", "sqlite": ""}
    url = urls[database] if database in urls else request.getfixturevalue("postgres_url")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", database_url=url, mock=True))
    first = first_start(runtime)
    assert first.default_key is not None and first.admin_key is not None

    async def served() -> tuple[object, str | None]:
        await runtime.open()  # the server's own loop opens PostgreSQL's pool here
        try:
            account = await runtime.store.account_by_key_hash(hash_key(first.default_key or ""))
            return account, await runtime.admin_key_hash()
        finally:
            assert runtime.backend is not None
            await runtime.backend.close()

    account, admin_hash = asyncio.run(served())
    assert account is not None and admin_hash == hash_key(first.admin_key)
