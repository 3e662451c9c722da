"""The operator's controls over HTTP (api/admin_keys.py, api/admin_service.py): API keys with
revocation, rotation, spending caps and IP allow-lists; disabled accounts; maintenance mode
and models turned off. On a real SQLite file, and on PostgreSQL where the database matters
(caps exact under concurrent creates)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from imagegate.api.app import create_app
from imagegate.runtime import Runtime
from imagegate.settings import Settings

# google/nano-banana with a prompt costs 4 credits.
TASK = {"model": "google/nano-banana", "input": {"prompt": "a red bicycle"}}
PRICE = 4


def admin(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.admin_key}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def default_account(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    accounts = (await client.get("/api/admin/accounts", headers=headers)).json()["data"]
    return str(next(a["id"] for a in accounts if a["name"] == "default"))


async def new_key(
    client: httpx.AsyncClient, headers: dict[str, str], account_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/admin/accounts/{account_id}/keys", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def create(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post("/api/v1/jobs/createTask", json=TASK, headers=bearer(key))


async def test_new_endpoints_need_the_admin_key(api: Any) -> None:
    for method, path in (("get", "/api/admin/keys"), ("post", "/api/admin/keys/x/revoke"),
                         ("get", "/api/admin/maintenance"), ("get", "/api/admin/models")):
        response = await api.client.request(method, path, headers=api.auth)
        assert response.status_code == 401 and response.json()["code"] == 401


async def test_an_added_key_works_is_listed_and_stops_when_revoked(sqlite_api: Any) -> None:
    api = sqlite_api  # reads the task's key_id column with SQL
    account = await default_account(api.client, admin(api))
    made = await new_key(api.client, admin(api), account, name="ci")
    assert made["apiKey"].startswith("ig_") and made["status"] == "active"
    assert made["name"] == "ci" and made["keyPrefix"] == made["apiKey"][:10]
    task_id = (await create(api.client, made["apiKey"])).json()["data"]["taskId"]
    listed = (await api.client.get(
        "/api/admin/keys", params={"accountId": account}, headers=admin(api)
    )).json()["data"]
    assert [k["name"] for k in listed] == ["first key", "ci"]
    assert all("apiKey" not in k for k in listed)  # shown once, at creation
    assert listed[1]["spent"] == {"hourly": PRICE, "daily": PRICE, "total": PRICE}
    assert listed[0]["spent"]["total"] == 0  # spend is per key, not per account
    row = api.runtime.store.db.conn.execute(
        "SELECT key_id FROM tasks WHERE id = ?", (task_id,)
    ).fetchone()
    assert row[0] == made["id"]  # the task records the key that created it

    revoked = await api.client.post(f"/api/admin/keys/{made['id']}/revoke", headers=admin(api))
    assert revoked.json()["data"]["status"] == "revoked"
    refused = await create(api.client, made["apiKey"])
    assert refused.status_code == 401 and refused.json()["code"] == 401
    assert (await create(api.client, api.key)).status_code == 200  # the first key still works


async def test_rotation_keeps_the_old_key_for_the_grace_then_stops_it(api: Any) -> None:
    account = await default_account(api.client, admin(api))
    old = await new_key(api.client, admin(api), account, name="app", dailyCap=100)
    rotated = await api.client.post(
        f"/api/admin/keys/{old['id']}/rotate", json={"graceSeconds": 0.6}, headers=admin(api)
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["data"]
    assert new["name"] == "app" and new["dailyCap"] == 100  # the same limits
    assert new["apiKey"] != old["apiKey"] and new["previous"]["expiresAt"] is not None
    assert (await create(api.client, old["apiKey"])).status_code == 200  # within the grace
    assert (await create(api.client, new["apiKey"])).status_code == 200
    await asyncio.sleep(0.8)
    after = await create(api.client, old["apiKey"])
    assert after.status_code == 401 and "not valid" in after.json()["msg"]
    assert (await create(api.client, new["apiKey"])).status_code == 200
    again = await api.client.post(f"/api/admin/keys/{old['id']}/rotate", headers=admin(api))
    assert again.status_code == 422 and "expired" in again.json()["msg"]


async def test_rotation_carries_the_expiry_and_the_spend_on(api: Any) -> None:
    # A rotation replaces the secret, not the limits: the total cap is not reset, the two keys
    # of a grace share one cap, and a key that was to expire still does.
    account = await default_account(api.client, admin(api))
    old = await new_key(api.client, admin(api), account, totalCap=2 * PRICE,
                        expiresAt="2099-01-31T00:00:00Z")
    assert (await create(api.client, old["apiKey"])).status_code == 200
    rotated = await api.client.post(
        f"/api/admin/keys/{old['id']}/rotate", json={"graceSeconds": 60}, headers=admin(api)
    )
    new = rotated.json()["data"]
    assert new["expiresAt"] == old["expiresAt"] is not None
    assert new["previous"]["expiresAt"] < old["expiresAt"]  # the grace ends first
    listed = (await api.client.get(
        "/api/admin/keys", params={"accountId": account}, headers=admin(api)
    )).json()["data"]
    assert next(k for k in listed if k["id"] == new["id"])["spent"]["total"] == PRICE
    assert (await create(api.client, new["apiKey"])).status_code == 200
    for key in (old["apiKey"], new["apiKey"]):
        refused = await create(api.client, key)
        assert refused.json()["code"] == 433 and "spent 8" in refused.json()["msg"], key


async def test_a_capped_key_gets_433_naming_the_cap(api: Any) -> None:
    account = await default_account(api.client, admin(api))
    key = await new_key(api.client, admin(api), account, hourlyCap=2 * PRICE)
    for _ in range(2):
        assert (await create(api.client, key["apiKey"])).status_code == 200
    refused = await create(api.client, key["apiKey"])
    assert refused.status_code == 429, refused.text
    answer = refused.json()
    assert answer["code"] == 433 and answer["data"] is None
    assert "hourly cap is 8 credits" in answer["msg"] and "spent 8" in answer["msg"]
    assert (await create(api.client, api.key)).status_code == 200  # other keys are not capped

    # Raising the cap (the daily one added, the hourly one kept) lets it spend again.
    raised = await api.client.post(
        f"/api/admin/keys/{key['id']}/caps", json={"dailyCap": 3 * PRICE}, headers=admin(api)
    )
    assert raised.json()["data"]["hourlyCap"] == 2 * PRICE
    assert raised.json()["data"]["dailyCap"] == 3 * PRICE
    cleared = await api.client.post(
        f"/api/admin/keys/{key['id']}/caps", json={"hourlyCap": None}, headers=admin(api)
    )
    assert cleared.json()["data"]["hourlyCap"] is None
    assert (await create(api.client, key["apiKey"])).status_code == 200
    daily = await create(api.client, key["apiKey"])
    assert daily.json()["code"] == 433 and "daily cap is 12 credits" in daily.json()["msg"]


async def test_a_refunded_task_does_not_count_against_the_cap(
    runtime_factory: Any, harness_opener: Any
) -> None:
    # Every task fails (and is refunded): spend is debits less refunds.
    api, client = await harness_opener(runtime_factory(mock_fail_rate=1.0), start=True)
    try:
        async with client:
            account = await default_account(client, admin(api))
            key = await new_key(client, admin(api), account, totalCap=PRICE)
            task_id = (await create(client, key["apiKey"])).json()["data"]["taskId"]
            assert (await create(client, key["apiKey"])).json()["code"] == 433  # debited
            state = ""
            for _ in range(200):
                state = api.runtime.store.db.conn.execute(
                    "SELECT state FROM tasks WHERE id = ?", (task_id,)
                ).fetchone()[0]
                if state == "fail":
                    break
                await asyncio.sleep(0.02)
            assert state == "fail"
            assert (await create(client, key["apiKey"])).status_code == 200  # refunded
    finally:
        await api.runtime.worker.stop()
        await api.runtime.callbacks.stop()
        await api.runtime.janitor.stop()
        await api.runtime.deadlines.stop()


async def test_the_ip_allow_list_refuses_other_addresses_with_401(api: Any) -> None:
    account = await default_account(api.client, admin(api))
    # The in-process client calls from 127.0.0.1.
    elsewhere = await new_key(api.client, admin(api), account, ipAllow=["10.0.0.0/8"])
    assert elsewhere["ipAllow"] == ["10.0.0.0/8"]
    refused = await create(api.client, elsewhere["apiKey"])
    assert refused.status_code == 401
    assert "not accepted from 127.0.0.1" in refused.json()["msg"]
    here = await new_key(api.client, admin(api), account, ipAllow=["192.0.2.1", "127.0.0.1"])
    assert here["ipAllow"] == ["192.0.2.1/32", "127.0.0.1/32"]
    assert (await create(api.client, here["apiKey"])).status_code == 200
    opened = await api.client.post(
        f"/api/admin/keys/{elsewhere['id']}/caps", json={"ipAllow": None}, headers=admin(api)
    )
    assert opened.json()["data"]["ipAllow"] is None
    assert (await create(api.client, elsewhere["apiKey"])).status_code == 200


async def test_key_bodies_are_validated_and_unknown_ids_are_404(api: Any) -> None:
    account = await default_account(api.client, admin(api))
    for body, field in (({"ipAllow": ["10.0.0.0/8", "nope"]}, "ipAllow"),
                        ({"hourlyCap": -1}, "hourlyCap"), ({"name": 5}, "name")):
        response = await api.client.post(
            f"/api/admin/accounts/{account}/keys", json=body, headers=admin(api)
        )
        assert response.status_code == 422, response.text
        assert response.json()["msg"].startswith(field), response.json()
    assert "'nope' is not an IP address" in (await api.client.post(
        f"/api/admin/accounts/{account}/keys", json={"ipAllow": ["nope"]}, headers=admin(api)
    )).json()["msg"]
    bad_grace = await api.client.post(
        f"/api/admin/keys/{account}/rotate", json={"graceSeconds": -5}, headers=admin(api)
    )
    assert bad_grace.status_code == 422 and bad_grace.json()["msg"].startswith("graceSeconds")
    for path in ("/api/admin/keys/nope/revoke", "/api/admin/keys/nope/rotate",
                 "/api/admin/keys/nope/caps", "/api/admin/accounts/nope/keys",
                 "/api/admin/accounts/nope/disable"):
        response = await api.client.post(path, json={}, headers=admin(api))
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == 404 and "nope" in response.json()["msg"]


async def test_a_disabled_account_is_refused_until_enabled(api: Any) -> None:
    account = await default_account(api.client, admin(api))
    off = await api.client.post(f"/api/admin/accounts/{account}/disable", headers=admin(api))
    assert off.json()["data"] == {"id": account, "disabled": True}
    assert (await create(api.client, api.key)).status_code == 401
    listed = (await api.client.get("/api/admin/accounts", headers=admin(api))).json()["data"]
    assert next(a for a in listed if a["id"] == account)["disabled"] is True
    await api.client.post(f"/api/admin/accounts/{account}/enable", headers=admin(api))
    assert (await create(api.client, api.key)).status_code == 200


async def test_maintenance_refuses_new_tasks_with_455_while_queries_answer(api: Any) -> None:
    task_id = (await create(api.client, api.key)).json()["data"]["taskId"]
    on = await api.client.post(
        "/api/admin/maintenance", json={"on": True, "message": "db upgrade"}, headers=admin(api)
    )
    assert on.json()["data"]["on"] is True and on.json()["data"]["message"] == "db upgrade"
    refused = await create(api.client, api.key)
    assert refused.status_code == 503 and refused.json()["code"] == 455
    assert "maintenance" in refused.json()["msg"] and "db upgrade" in refused.json()["msg"]
    v2 = await api.client.post("/api/v2/jobs/createTask", json=TASK, headers=api.auth)
    assert v2.status_code == 503 and v2.json()["message"] == v2.json()["msg"]
    assert (await api.record(task_id)).status_code == 200  # queries still work
    status = (await api.client.get("/api/admin/maintenance", headers=admin(api))).json()
    assert status["data"]["on"] is True and status["data"]["since"] > 0
    await api.client.post("/api/admin/maintenance", json={"on": False}, headers=admin(api))
    assert (await create(api.client, api.key)).status_code == 200
    bad = await api.client.post("/api/admin/maintenance", json={}, headers=admin(api))
    assert bad.status_code == 422 and bad.json()["msg"].startswith("on")


async def test_a_disabled_model_gets_505_naming_it(api: Any) -> None:
    off = await api.client.post(
        "/api/admin/models/disable", json={"model": "google/nano-banana", "reason": "GPU swap"},
        headers=admin(api),
    )
    assert off.status_code == 200, off.text
    row = next(m for m in off.json()["data"] if m["model"] == "google/nano-banana")
    assert row == {"model": "google/nano-banana", "enabled": False, "reason": "GPU swap",
                   "served": True}
    refused = await create(api.client, api.key)
    assert refused.status_code == 403 and refused.json()["code"] == 505
    assert "google/nano-banana is disabled" in refused.json()["msg"]
    assert "GPU swap" in refused.json()["msg"]
    other = {"model": "qwen/text-to-image", "input": {"prompt": "a boat"}}
    assert (await api.create(other)).status_code == 200  # other models still run
    await api.client.post(
        "/api/admin/models/enable", json={"model": "google/nano-banana"}, headers=admin(api)
    )
    assert (await create(api.client, api.key)).status_code == 200
    unknown = await api.client.post(
        "/api/admin/models/disable", json={"model": "no/such"}, headers=admin(api)
    )
    assert unknown.status_code == 422 and "unknown model 'no/such'" in unknown.json()["msg"]


async def test_switches_reach_another_process_within_their_ttl(runtime_factory: Any) -> None:
    # Two runtimes on one SQLite file stand for two API processes of a fleet.
    setter, reader = runtime_factory(), runtime_factory()
    await setter.first_start()
    await reader.switches.check("google/nano-banana")  # read (and cached) while on
    await setter.switches.set_maintenance(True)
    await reader.switches.check("google/nano-banana")  # still the cached state
    reader.switches.ttl = 0.2
    reader.switches.forget()
    with pytest.raises(Exception, match="maintenance"):
        await reader.switches.check("google/nano-banana")


# ------------------------------------------------------------------ PostgreSQL


def pg_settings(data_dir: Path, url: str) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=url, url_allowlist=["127.0.0.1"],
        public_url="http://testserver", engine_processes=0, mock=True, admin_key="pg-admin",
        worker_concurrency=0, janitor_interval_seconds=3600,
        # The caps are under test, not the account's create rate.
        create_rate="1000/10s",
    )


async def test_caps_are_exact_under_concurrent_creates_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    # Two runtimes (two API processes) share the database and create at once with one key.
    first = Runtime(pg_settings(tmp_path / "a", postgres_url))
    second = Runtime(pg_settings(tmp_path / "b", postgres_url))
    made = await first.first_start()
    await second.open()
    assert made.default_key
    headers = {"Authorization": "Bearer pg-admin"}
    apps = [create_app(r, manage_runtime=False) for r in (first, second)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=a),
                                 base_url="http://testserver") for a in apps]
    try:
        account = await default_account(clients[0], headers)
        key = await new_key(clients[0], headers, account, totalCap=3 * PRICE)
        answers = await asyncio.gather(
            *(create(clients[i % 2], key["apiKey"]) for i in range(12))
        )
        codes = sorted(a.json()["code"] for a in answers)
        assert codes == [200] * 3 + [433] * 9, codes
        listed = (await clients[1].get(
            "/api/admin/keys", params={"accountId": account}, headers=headers
        )).json()["data"]
        assert next(k for k in listed if k["id"] == key["id"])["spent"]["total"] == 3 * PRICE

        # Rotation and revocation on PostgreSQL, seen by the other process.
        rotated = (await clients[0].post(
            f"/api/admin/keys/{key['id']}/rotate", json={"graceSeconds": 0},
            headers=headers,
        )).json()["data"]
        await asyncio.sleep(0.01)
        assert (await create(clients[0], key["apiKey"])).status_code == 401
        await clients[1].post(f"/api/admin/keys/{rotated['id']}/caps", json={"totalCap": None},
                              headers=headers)
        assert (await create(clients[1], rotated["apiKey"])).status_code == 200
        await clients[0].post(f"/api/admin/keys/{rotated['id']}/revoke", headers=headers)
        second.keys.forget()  # the other process's cache, past its TTL
        assert (await create(clients[1], rotated["apiKey"])).status_code == 401

        # Maintenance set through one process is seen by the other.
        await clients[0].post("/api/admin/maintenance", json={"on": True}, headers=headers)
        second.switches.forget()
        assert (await create(clients[1], made.default_key)).json()["code"] == 455
    finally:
        for client in clients:
            await client.aclose()
        for runtime in (first, second):
            if runtime.backend is not None:
                await runtime.backend.close()


async def test_caps_are_exact_under_concurrent_creates_on_sqlite(api: Any) -> None:
    account = await default_account(api.client, admin(api))
    key = await new_key(api.client, admin(api), account, totalCap=3 * PRICE)
    answers = await asyncio.gather(*(create(api.client, key["apiKey"]) for i in range(8)))
    codes = sorted(a.json()["code"] for a in answers)
    assert codes == [200] * 3 + [433] * 5, codes
