"""Admin top-ups and an account's first credits refuse bad amounts with a 422 naming
``credits`` and never take a balance below zero (issue 20, point 4), through the admin API
on a SQLite file and through ``imagegate admin accounts``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imagegate.cli.main import app

# The requests, and their kin: each refused, naming credits and saying why.
BAD_AMOUNTS: list[tuple[Any, str]] = [
    (True, "must be a number, not a boolean"),
    (False, "must be a number, not a boolean"),
    ("50", "must be a number, not a string"),
    (None, "must be a number, not null"),
    ([5], "must be a number, not an array"),
    (0.0001, "at most 3 decimals"),
    (1.0005, "at most 3 decimals"),
    (1e13, "must be between"),
    (-1e13, "must be between"),
]


def admin(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.admin_key}"}


async def make_account(api: Any, credits: Any = 100) -> dict[str, Any]:
    response = await api.client.post(
        "/api/admin/accounts", json={"name": "acme", "credits": credits}, headers=admin(api)
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def grant(api: Any, account_id: str, body: Any) -> Any:
    return await api.client.post(
        f"/api/admin/accounts/{account_id}/credits", json=body, headers=admin(api)
    )


async def balance(api: Any, account: dict[str, Any]) -> Any:
    answer = await api.client.get(
        "/api/v1/chat/credit", headers={"Authorization": f"Bearer {account['apiKey']}"}
    )
    return answer.json()["data"]


def refused_naming_credits(response: Any, words: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == 422 and body["msg"].startswith("credits: "), body
    assert words in body["msg"], body


async def test_a_debit_larger_than_the_balance_is_refused_saying_the_balance(
    sqlite_api: Any,
) -> None:
    account = await make_account(sqlite_api, 100)
    refused = await grant(sqlite_api, account["id"], {"credits": -1050})  # 100 → -950 before
    refused_naming_credits(refused, "the balance is 100")
    assert "take at most 100" in refused.json()["msg"]
    assert await balance(sqlite_api, account) == 100
    emptied = await grant(sqlite_api, account["id"], {"credits": -100})
    assert emptied.status_code == 200 and emptied.json()["data"] == 0
    refused_naming_credits(await grant(sqlite_api, account["id"], {"credits": -0.001}),
                           "the balance is 0")
    assert await balance(sqlite_api, account) == 0


async def test_bad_amounts_are_refused_and_change_nothing(sqlite_api: Any) -> None:
    account = await make_account(sqlite_api, 100)
    for amount, words in [*BAD_AMOUNTS, (0, "must not be 0"), (0.0, "must not be 0")]:
        refused_naming_credits(await grant(sqlite_api, account["id"], {"credits": amount}),
                               words)
    refused_naming_credits(await grant(sqlite_api, account["id"], {}), "Field required")
    # JSON's NaN and Infinity, which Python's parser takes: finite numbers only.
    for raw in (b'{"credits": NaN}', b'{"credits": Infinity}', b'{"credits": -Infinity}'):
        answer = await sqlite_api.client.post(
            f"/api/admin/accounts/{account['id']}/credits", content=raw,
            headers={**admin(sqlite_api), "Content-Type": "application/json"},
        )
        refused_naming_credits(answer, "must be a finite number")
    assert await balance(sqlite_api, account) == 100
    ledger = await sqlite_api.runtime.store.ledger(account["id"])
    assert [row["delta_milli"] for row in ledger] == [100_000]  # nothing written by a refusal


async def test_good_amounts_move_the_balance_exactly(sqlite_api: Any) -> None:
    account = await make_account(sqlite_api, 0.001)
    for amount, expected in ((0.1, 0.101), (2.5, 2.601), (-2.601, 0), (50, 50)):
        answer = await grant(sqlite_api, account["id"], {"credits": amount})
        assert answer.status_code == 200 and answer.json()["data"] == expected, answer.text
    missing = await grant(sqlite_api, "nope", {"credits": -1})
    assert missing.status_code == 404  # an unknown account is 404 whatever the amount


async def test_concurrent_debits_over_http_stop_at_zero(sqlite_api: Any) -> None:
    account = await make_account(sqlite_api, 100)
    answers = await asyncio.gather(
        *(grant(sqlite_api, account["id"], {"credits": -30}) for _ in range(8))
    )
    assert sorted(a.status_code for a in answers) == [200] * 3 + [422] * 5
    assert await balance(sqlite_api, account) == 10


async def test_an_accounts_first_credits_follow_the_same_rule(sqlite_api: Any) -> None:
    for amount, words in [*BAD_AMOUNTS, (-1, "must be 0 or more")]:
        refused = await sqlite_api.client.post(
            "/api/admin/accounts", json={"name": "x", "credits": amount},
            headers=admin(sqlite_api),
        )
        refused_naming_credits(refused, words)
    listed = (await sqlite_api.client.get("/api/admin/accounts", headers=admin(sqlite_api)))
    assert [a["name"] for a in listed.json()["data"]] == ["default"]  # none was made
    assert (await make_account(sqlite_api, 0))["credits"] == 0
    assert (await make_account(sqlite_api, 12.345))["credits"] == 12.345


# ------------------------------------------------------------------ imagegate admin accounts


def admin_cli(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["admin", *args, "--data-dir", str(data_dir)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli_account(tmp_path: Path) -> tuple[Path, str]:
    """A SQLite data dir with an account of 100 credits, made by the CLI: (dir, id)."""
    data_dir = tmp_path / "data"
    code, out, err = admin_cli(data_dir, "accounts", "create", "--name", "acme",
                               "--credits", "100")
    assert code == 0, out + err
    account_id = out.split("(")[1].split(")")[0]
    return data_dir, account_id


def test_the_cli_top_up_refuses_an_overdraft_and_bad_amounts(
    cli_account: tuple[Path, str],
) -> None:
    data_dir, account_id = cli_account
    for amount, words in (
        ("-1050", "--credits: taking 1050 credits would leave the balance below zero"
                  " (the balance is 100)"),
        ("0.0001", "--credits: must be a whole number of millicredits"),
        ("0", "--credits: must not be 0"),
        ("nan", "--credits: must be a finite number"),
        ("inf", "--credits: must be a finite number"),
    ):
        code, _, err = admin_cli(data_dir, "accounts", "top-up", account_id, "--credits", amount)
        assert code == 2 and words in err, (amount, err)
    code, out, _ = admin_cli(data_dir, "accounts", "top-up", account_id, "--credits", "-100")
    assert code == 0 and "balance 0" in out
    code, _, err = admin_cli(data_dir, "accounts", "top-up", account_id, "--credits", "-1")
    assert code == 2 and "(the balance is 0)" in err


def test_the_cli_create_refuses_a_fourth_decimal(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    code, _, err = admin_cli(data_dir, "accounts", "create", "--name", "x", "--credits", "0.0001")
    assert code == 2 and "--credits: must be a whole number of millicredits" in err, err
    code, out, _ = admin_cli(data_dir, "accounts", "list", "--json")
    assert code == 0 and '"name": "x"' not in out
