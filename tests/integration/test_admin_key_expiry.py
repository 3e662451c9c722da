"""A key made with ``expiresAt`` (api/admin_keys.py) over HTTP on a real SQLite file: it works
until then and is refused afterwards with the 401 of an unknown key; the time is epoch ms or
ISO-8601, and anything else is a 422 naming ``expiresAt``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from imagegate.clock import now_ms

TASK = {"model": "google/nano-banana", "input": {"prompt": "a red bicycle"}}


def admin(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.admin_key}"}


async def default_account(api: Any) -> str:
    accounts = (await api.client.get("/api/admin/accounts", headers=admin(api))).json()["data"]
    return str(next(a["id"] for a in accounts if a["name"] == "default"))


async def make_key(api: Any, account: str, body: dict[str, Any]) -> httpx.Response:
    return await api.client.post(
        f"/api/admin/accounts/{account}/keys", json=body, headers=admin(api)
    )


async def create(api: Any, key: str) -> httpx.Response:
    return await api.client.post(
        "/api/v1/jobs/createTask", json=TASK, headers={"Authorization": f"Bearer {key}"}
    )


async def test_a_key_works_until_its_expiry_then_is_refused_like_an_unknown_key(
    api: Any,
) -> None:
    account = await default_account(api)
    expires_at = now_ms() + 800
    made = await make_key(api, account, {"name": "short", "expiresAt": expires_at})
    assert made.status_code == 200, made.text
    key = made.json()["data"]
    assert key["expiresAt"] == expires_at and key["status"] == "active"
    assert (await create(api, key["apiKey"])).status_code == 200
    await asyncio.sleep(max(0.0, (expires_at - now_ms()) / 1000) + 0.1)

    refused = await create(api, key["apiKey"])
    unknown = await create(api, "ig_" + "x" * 40)
    assert refused.status_code == 401 and refused.json() == unknown.json(), refused.text
    listed = (await api.client.get(
        "/api/admin/keys", params={"accountId": account}, headers=admin(api)
    )).json()["data"]
    assert next(k for k in listed if k["id"] == key["id"])["status"] == "expired"
    assert (await create(api, api.key)).status_code == 200  # the account's other key works


async def test_expiry_as_iso_8601_or_digits_and_none_by_default(api: Any) -> None:
    account = await default_account(api)
    for sent, stored in (
        ("2999-01-01T00:00:00Z", 32_472_144_000_000),
        ("2999-01-01T02:00:00+02:00", 32_472_144_000_000),
        ("2999-01-01", 32_472_144_000_000),  # no offset: UTC
        ("32472144000000", 32_472_144_000_000),
        (32_472_144_000_000.0, 32_472_144_000_000),
        (None, None),
    ):
        made = await make_key(api, account, {"expiresAt": sent})
        assert made.status_code == 200, (sent, made.text)
        assert made.json()["data"]["expiresAt"] == stored, sent
    assert (await make_key(api, account, {})).json()["data"]["expiresAt"] is None


async def test_a_bad_expiry_is_a_422_naming_expires_at(api: Any) -> None:
    account = await default_account(api)
    before = len((await api.client.get("/api/admin/keys", headers=admin(api))).json()["data"])
    for sent, words in (
        (1_700_000_000, "must be in the future, in epoch milliseconds"),  # seconds, not ms
        (now_ms() - 1, "must be in the future"),
        ("2001-01-01T00:00:00Z", "must be in the future"),
        ("next tuesday", "neither epoch milliseconds nor an ISO-8601 time"),
        ("²", "neither epoch milliseconds nor an ISO-8601 time"),  # a digit to isdigit()
        (10**30, "past the year 9999"),
        (1.5, "whole number"),
        (True, "epoch milliseconds or an ISO-8601 time"),
        ({"at": 1}, "epoch milliseconds or an ISO-8601 time"),
    ):
        response = await make_key(api, account, {"expiresAt": sent})
        assert response.status_code == 422, (sent, response.text)
        answer = response.json()
        assert answer["code"] == 422 and answer["msg"].startswith("expiresAt: "), answer
        assert words in answer["msg"], (sent, answer["msg"])
    after = len((await api.client.get("/api/admin/keys", headers=admin(api))).json()["data"])
    assert after == before  # nothing was made
