"""The admin API: accounts, keys, credits and routes behind the admin key."""

from __future__ import annotations

from typing import Any


def admin(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.admin_key}"}


async def test_admin_endpoints_refuse_account_keys_and_no_key(api: Any) -> None:
    for headers in ({}, api.auth, {"Authorization": "Bearer ig_wrong"}):
        response = await api.client.get("/api/admin/accounts", headers=headers)
        assert response.status_code == 401 and response.json()["code"] == 401


async def test_create_account_returns_a_working_key_once(api: Any) -> None:
    response = await api.client.post(
        "/api/admin/accounts",
        json={"name": "acme", "credits": 12.5, "webhookSecret": "s", "createRate": "100/10s"},
        headers=admin(api),
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["name"] == "acme" and data["credits"] == 12.5 and data["hasWebhookSecret"]
    assert data["createRate"] == "100/10s" and data["apiKey"].startswith("ig_")
    credit = await api.client.get(
        "/api/v1/chat/credit", headers={"Authorization": f"Bearer {data['apiKey']}"}
    )
    assert credit.json()["data"] == 12.5
    listed = (await api.client.get("/api/admin/accounts", headers=admin(api))).json()["data"]
    assert {a["name"] for a in listed} == {"default", "acme"}
    assert all("apiKey" not in a for a in listed)  # keys are shown once, at creation


async def test_create_account_validates_its_fields(api: Any) -> None:
    bad = [({"credits": 1}, "name"), ({"name": "x", "credits": -1}, "credits"),
           ({"name": "x", "createRate": "fast"}, "createRate")]
    for body, field in bad:
        response = await api.client.post("/api/admin/accounts", json=body, headers=admin(api))
        assert response.status_code == 422, response.text
        assert response.json()["msg"].startswith(field), response.json()


async def test_grant_credits_changes_the_balance_and_unknown_account_is_404(api: Any) -> None:
    account = (await api.client.get("/api/admin/accounts", headers=admin(api))).json()["data"][0]
    response = await api.client.post(
        f"/api/admin/accounts/{account['id']}/credits", json={"credits": 0.5},
        headers=admin(api),
    )
    assert response.json()["data"] == 1000.5
    missing = await api.client.post(
        "/api/admin/accounts/nope/credits", json={"credits": 1}, headers=admin(api)
    )
    assert missing.status_code == 404


async def test_routes_show_the_engines_per_model(api: Any) -> None:
    data = (await api.client.get("/api/admin/routes", headers=admin(api))).json()["data"]
    routes = data["routes"]
    assert routes["ideogram/v3-reframe"] == ["mock"] and routes["qwen/image-edit"] == ["mock"]
    assert routes == api.runtime.router.describe()
    assert data["engines"] == {"mock": {"state": "closed", "failures": 0, "openUntil": None}}
    assert data["providers"] == {}


async def test_routes_show_the_providers_but_never_their_keys(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory(
        mock=False,
        providers={"reseller": {"type": "upstream_kie", "base_url": "https://kie.example/",
                                "api_key": "sk-secret-123"}},
        routes={"google/nano-banana": ["reseller", "mock"]},
    )
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        answer = await client.get("/api/admin/routes", headers=admin(harness))
    data = answer.json()["data"]
    assert data["routes"]["google/nano-banana"] == ["reseller", "mock"]
    assert data["providers"] == {
        "reseller": {"type": "upstream_kie", "baseUrl": "https://kie.example"}
    }
    assert "sk-secret-123" not in answer.text


async def test_routes_show_configured_routes_and_breaker_state(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory(
        mock=False, routes={"ideogram/v3-reframe": ["classic", "mock"]}, breaker_failures=2,
        breaker_cooldown_seconds=60,
    )
    breaker = runtime.router.breaker("classic")
    breaker.failure()
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        url, headers = "/api/admin/routes", admin(harness)
        data = (await client.get(url, headers=headers)).json()["data"]
        assert data["routes"]["ideogram/v3-reframe"] == ["classic", "mock"]
        assert data["routes"]["qwen/image-edit"] == ["mock"]
        assert data["engines"]["classic"] == {"state": "closed", "failures": 1, "openUntil": None}
        breaker.failure()
        data = (await client.get(url, headers=headers)).json()["data"]
        classic = data["engines"]["classic"]
        assert classic["state"] == "open" and classic["failures"] == 2
        assert classic["openUntil"].endswith("Z")
        assert data["engines"]["mock"]["state"] == "closed"


async def test_health_and_openapi(api: Any) -> None:
    assert (await api.client.get("/healthz")).json()["status"] == "ok"
    spec = (await api.client.get("/openapi.json")).json()
    assert "/api/v1/jobs/createTask" in spec["paths"]
    assert (await api.client.get("/docs")).status_code == 200
