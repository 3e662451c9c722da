"""``POST /api/v1/jobs/quote`` (issue 22 point 4) through HTTP on a SQLite file: the price a
createTask would charge and the balance after it, refusals exactly as createTask's, nothing
created or charged, and counted as a query, not a create."""

from __future__ import annotations

import json
from typing import Any

from spec_examples import SPEC_000_REQUEST

REFRAME = json.loads(SPEC_000_REQUEST)


async def make_account(api: Any, credits: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/api/admin/accounts", json={"name": "acme", "credits": credits},
        headers={"Authorization": f"Bearer {api.admin_key}"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def quote(api: Any, body: Any, key: str | None = None) -> Any:
    auth = {"Authorization": f"Bearer {key or api.key}"}
    return await api.client.post("/api/v1/jobs/quote", json=body, headers=auth)


async def balance(api: Any, key: str) -> Any:
    answer = await api.client.get(
        "/api/v1/chat/credit", headers={"Authorization": f"Bearer {key}"}
    )
    return answer.json()["data"]


async def test_the_quote_is_what_the_create_charges_and_creates_nothing(sqlite_api: Any) -> None:
    before = await balance(sqlite_api, sqlite_api.key)
    answer = await quote(sqlite_api, REFRAME)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] == 200 and body["msg"] == "success"
    data = body["data"]
    assert data["model"] == "ideogram/v3-reframe"
    assert data["balance"] == before
    assert data["balanceAfter"] == before - data["credits"] and data["affordable"] is True
    assert data["credits"] > 0
    # Nothing was created or charged.
    assert await balance(sqlite_api, sqlite_api.key) == before
    rows = sqlite_api.runtime.db.conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
    assert rows == 0
    # The create charges exactly the quoted price.
    assert (await sqlite_api.create(REFRAME)).status_code == 200
    assert await balance(sqlite_api, sqlite_api.key) == data["balanceAfter"]


async def test_refusals_are_createTasks_own(sqlite_api: Any) -> None:
    bad_bodies: list[Any] = [
        {},
        {"model": 5, "input": {}},
        {"model": "no/such-model", "input": {}},
        {"model": "ideogram/v3-reframe"},
        {**REFRAME, "input": {**REFRAME["input"], "image_size": "huge"}},
        {**REFRAME, "priority": 11},
        {**REFRAME, "callBackUrl": "ftp://example.com/x"},
        {**REFRAME, "callBackUrl": "http://10.0.0.1/hook"},
    ]
    for body in bad_bodies:
        quoted = await quote(sqlite_api, body)
        created = await sqlite_api.create(body)
        assert quoted.status_code == created.status_code == 422, (body, quoted.text)
        assert quoted.json() == created.json(), body
    not_json = await sqlite_api.client.post(
        "/api/v1/jobs/quote", content=b"{", headers={**sqlite_api.auth,
                                                     "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["data"] is None
    unauthenticated = await sqlite_api.client.post("/api/v1/jobs/quote", json=REFRAME)
    assert unauthenticated.status_code == 401
    assert sqlite_api.runtime.db.conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 0


async def test_ignored_fields_are_named_as_by_create(sqlite_api: Any) -> None:
    body = {**REFRAME, "colour": "red", "input": {**REFRAME["input"], "sharpness": 3}}
    quoted = await quote(sqlite_api, body)
    created = await sqlite_api.create(body)
    assert quoted.status_code == 200
    assert quoted.headers["X-Imagegate-Ignored-Fields"] == (
        created.headers["X-Imagegate-Ignored-Fields"]
    )


async def test_a_short_balance_is_quoted_not_refused(sqlite_api: Any) -> None:
    poor = await make_account(sqlite_api, credits=1)
    data = (await quote(sqlite_api, REFRAME, poor["apiKey"])).json()["data"]
    assert data["balance"] == 1 and data["affordable"] is False
    assert data["balanceAfter"] == 1 - data["credits"] < 0
    refused = await sqlite_api.client.post(
        "/api/v1/jobs/createTask", json=REFRAME,
        headers={"Authorization": f"Bearer {poor['apiKey']}"},
    )
    assert refused.status_code == 402  # the create itself refuses


async def test_quotes_do_not_use_the_create_rate_limit(runtime_factory: Any,
                                                      harness_opener: Any) -> None:
    harness, client = await harness_opener(runtime_factory(create_rate="1/10s"), start=False)
    async with client:
        for _ in range(5):
            assert (await quote(harness, REFRAME)).status_code == 200
        assert (await harness.create(REFRAME)).status_code == 200
        assert (await harness.create(REFRAME)).status_code == 429
