"""``Idempotency-Key`` on task creation: one task (and one debit) per key and request for the
window, across every create surface; the key claimed in the create's own transaction. The
store's own cases (key, debit and task together) run on every backend in
tests/contract/test_contract_create.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from imagegate.clock import now_ms

from photos import photo_file
from spec_examples import SPEC_000_REQUEST

REFRAME = json.loads(SPEC_000_REQUEST)  # 7 credits (BALANCED, one image)
OTHER_REFRAME = {**REFRAME, "input": {**REFRAME["input"], "seed": 43}}
V1 = "/api/v1/jobs/createTask"
V2 = "/api/v2/jobs/createTask"
GPT4O = "/api/v1/gpt4o-image/generate"
SEEDREAM = "/api/v1/bytedance/seedream-v4-text-to-image"
IDEOGRAM_V3 = "/v1/ideogram-v3/reframe"
KEY = "retry-4b1f0c7e-2a9d-4e61-8f3b-5c7d9e0a1b2c"
DAY_MS = 24 * 3_600_000


async def post(api: Any, path: str, body: dict[str, Any], key: str | None = KEY) -> httpx.Response:
    headers = dict(api.auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post(path, json=body, headers=headers)


@pytest.fixture
def api(sqlite_api: Any) -> Any:
    """These tests count the rows a create writes (tasks, ledger, keys) with SQL: SQLite."""
    return sqlite_api


@pytest.fixture
def live_api(sqlite_live_api: Any) -> Any:
    """As ``api``: SQLite, with the worker running."""
    return sqlite_live_api


def task_id_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return str(data.get("taskId") or data["task_id"])


def count(api: Any, sql: str, *args: Any) -> int:
    return int(api.runtime.db.conn.execute(sql, args).fetchone()[0])


def tasks(api: Any) -> int:
    return count(api, "SELECT COUNT(*) FROM tasks")


def debits(api: Any, task_id: str | None = None) -> int:
    if task_id is None:
        return count(api, "SELECT COUNT(*) FROM credit_ledger WHERE reason = 'debit'")
    return count(
        api, "SELECT COUNT(*) FROM credit_ledger WHERE reason = 'debit' AND task_id = ?", task_id
    )


async def balance(api: Any) -> float:
    response = await api.client.get("/api/v1/chat/credit", headers=api.auth)
    return float(response.json()["data"])


# --------------------------------------------------------------------------- the jobs API


async def test_a_repeat_answers_the_same_task_without_a_second_debit(api: Any) -> None:
    first = await post(api, V1, REFRAME)
    again = await post(api, V1, REFRAME)
    task_id = task_id_of(first)
    assert again.json() == first.json()  # as if it had just been created
    assert task_id_of(again) == task_id
    assert tasks(api) == 1 and debits(api) == 1 and debits(api, task_id) == 1
    assert await balance(api) == 993
    row = api.runtime.db.conn.execute("SELECT * FROM idempotency_keys").fetchone()
    assert row["key"] == KEY and row["task_id"] == task_id
    assert row["expires_ms"] - row["created_ms"] == DAY_MS


async def test_another_key_makes_another_task(api: Any) -> None:
    first = task_id_of(await post(api, V1, REFRAME))
    second = task_id_of(await post(api, V1, REFRAME, key=KEY + "-2"))
    assert first != second and tasks(api) == 2 and debits(api) == 2


async def test_without_the_header_every_create_is_a_task(api: Any) -> None:
    ids = {task_id_of(await post(api, V1, REFRAME, key=None)) for _ in range(3)}
    assert len(ids) == 3 and debits(api) == 3
    assert count(api, "SELECT COUNT(*) FROM idempotency_keys") == 0


async def test_the_key_with_another_request_is_refused(api: Any) -> None:
    task_id = task_id_of(await post(api, V1, REFRAME))
    for changed in (
        OTHER_REFRAME,
        {**REFRAME, "callBackUrl": "https://example.com/other-callback"},
        {"model": "qwen/image-edit", "input": {"prompt": "", "image_url": "https://a.example/b"}},
    ):
        refused = await post(api, V1, changed)
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["code"] == 422 and body["data"] is None
        assert body["msg"].startswith("Idempotency-Key: ")
        assert "another request" in body["msg"] and "expires at" in body["msg"]
    v2 = await post(api, V2, OTHER_REFRAME)
    assert v2.status_code == 422 and "another request" in v2.json()["message"]
    assert tasks(api) == 1 and debits(api) == 1
    assert task_id_of(await post(api, V1, REFRAME)) == task_id  # the key still holds its task


async def test_the_same_request_in_other_words_is_the_same_request(api: Any) -> None:
    """The hash covers the validated input: defaults spelt out, another key order and the v2
    spelling of the callback URL are the request the key was made for."""
    first = task_id_of(await post(api, V1, {**REFRAME, "callBackUrl": "https://example.com/cb"}))
    spelt = {
        "callbackUrl": "https://example.com/cb",
        "input": dict(reversed(list(REFRAME["input"].items()))),
        "model": REFRAME["model"],
    }
    assert task_id_of(await post(api, V2, spelt)) == first
    assert tasks(api) == 1


async def test_v1_v2_and_a_model_endpoint_share_the_account_s_keys(api: Any) -> None:
    v1 = task_id_of(await post(api, V1, REFRAME))
    v2 = await post(api, V2, REFRAME)
    assert v2.json()["data"] == {"task_id": v1, "taskId": v1, "recordId": v1}
    gpt = {"prompt": "sunset over mountains"}
    made = task_id_of(await post(api, GPT4O, gpt, key="gpt-1"))
    assert task_id_of(await post(api, GPT4O, gpt, key="gpt-1")) == made
    # The per-model endpoint maps to {model, input}: createTask with that body is its repeat.
    same = {"model": "gpt4o-image", "input": gpt}
    assert task_id_of(await post(api, V1, same, key="gpt-1")) == made
    refused = await post(api, GPT4O, {"prompt": "sunrise"}, key="gpt-1")
    assert refused.status_code == 422 and "another request" in refused.json()["msg"]
    seedream = {"prompt": "a lighthouse at dusk"}
    first = task_id_of(await post(api, SEEDREAM, seedream, key="seedream-1"))
    assert task_id_of(await post(api, SEEDREAM, seedream, key="seedream-1")) == first
    assert tasks(api) == 3 and debits(api) == 3


async def test_keys_belong_to_their_account(api: Any) -> None:
    other = await api.client.post(
        "/api/admin/accounts", json={"name": "other", "credits": 100},
        headers={"Authorization": f"Bearer {api.admin_key}"},
    )
    assert other.status_code == 200, other.text
    other_key = other.json()["data"]["apiKey"]
    mine = task_id_of(await post(api, V1, REFRAME))
    theirs = await api.client.post(
        V1, json=OTHER_REFRAME,
        headers={"Authorization": f"Bearer {other_key}", "Idempotency-Key": KEY},
    )
    assert task_id_of(theirs) != mine and tasks(api) == 2


async def test_concurrent_duplicates_make_one_task(api: Any) -> None:
    answers = await asyncio.gather(*(post(api, V1, REFRAME) for _ in range(8)))
    ids = {task_id_of(answer) for answer in answers}
    assert len(ids) == 1
    assert tasks(api) == 1 and debits(api) == 1 and await balance(api) == 993


async def test_concurrent_duplicates_across_surfaces_make_one_task(api: Any) -> None:
    gpt = {"prompt": "sunset over mountains"}
    answers = await asyncio.gather(
        *(post(api, GPT4O, gpt) for _ in range(3)),
        *(post(api, V2, {"model": "gpt4o-image", "input": gpt}) for _ in range(3)),
    )
    assert len({task_id_of(answer) for answer in answers}) == 1
    assert tasks(api) == 1 and debits(api) == 1


@pytest.mark.parametrize(
    "value",
    ["x" * 256, "", "tab\tinside", "bell\x07", " leading-space", "trailing-space ",
     "caf\xe9".encode("latin-1"), "\u00e9t\u00e9".encode()],
    ids=["256 chars", "empty", "tab", "control", "leading space", "trailing space", "latin-1",
         "utf-8"],
)
async def test_a_malformed_key_is_refused_naming_the_header(api: Any, value: str | bytes) -> None:
    response = await api.client.post(
        V1, json=REFRAME, headers={**api.auth, "Idempotency-Key": value}
    )
    assert response.status_code == 422, response.text
    assert response.json()["msg"].startswith("Idempotency-Key: ")
    assert tasks(api) == 0


async def test_the_longest_key_and_inner_spaces_are_accepted(api: Any) -> None:
    for key in ("k" * 255, "a key with spaces ~!@#$%^&*()"):
        first = task_id_of(await post(api, V1, REFRAME, key=key))
        assert task_id_of(await post(api, V1, REFRAME, key=key)) == first


async def test_a_malformed_key_is_refused_in_each_surface_s_envelope(api: Any) -> None:
    bad = {**api.auth, "Idempotency-Key": "x" * 300}
    v2 = await api.client.post(V2, json=REFRAME, headers=bad)
    assert v2.status_code == 422 and v2.json()["message"].startswith("Idempotency-Key: ")
    gpt = await api.client.post(GPT4O, json={"prompt": "a"}, headers=bad)
    assert gpt.status_code == 422 and gpt.json()["msg"].startswith("Idempotency-Key: ")
    twice = await api.client.post(
        V1, json=REFRAME,
        headers=httpx.Headers([*api.auth.items(), ("Idempotency-Key", "a"),
                               ("Idempotency-Key", "b")]),
    )
    assert twice.status_code == 422 and "once" in twice.json()["msg"]
    ideogram = await api.client.post(
        IDEOGRAM_V3, data={"resolution": "1312x736"},
        files={"image": ("photo.png", photo_file(), "image/png")},
        headers={"Api-Key": api.key, "Idempotency-Key": "\x01"},
    )
    assert ideogram.status_code == 422
    assert ideogram.json()["error"].startswith("Idempotency-Key: ")
    assert tasks(api) == 0


async def test_a_repeat_is_not_rate_limited(harness_opener: Any, runtime_factory: Any) -> None:
    harness, client = await harness_opener(runtime_factory(create_rate="2/10s"), start=False)
    async with client:
        first = task_id_of(await post(harness, V1, REFRAME))
        repeats = [await post(harness, V1, REFRAME) for _ in range(5)]
        assert {task_id_of(r) for r in repeats} == {first}
        assert (await post(harness, V1, REFRAME, key=None)).status_code == 200
        assert (await post(harness, V1, REFRAME, key="new")).status_code == 429
        assert task_id_of(await post(harness, V1, REFRAME)) == first  # still answered


async def test_a_create_refused_for_credits_leaves_the_key_free(api: Any) -> None:
    account = (await api.runtime.store.list_accounts())[0]
    await api.runtime.store.grant_credits(account.id, -995_000)  # 5 credits left; costs 7
    refused = await post(api, V1, REFRAME)
    assert refused.status_code == 402
    assert count(api, "SELECT COUNT(*) FROM idempotency_keys") == 0
    await api.runtime.store.grant_credits(account.id, 10_000)
    task_id = task_id_of(await post(api, V1, REFRAME))  # the retry after a top-up
    assert task_id_of(await post(api, V1, REFRAME)) == task_id and debits(api) == 1


# --------------------------------------------------------------------------- the window


async def test_a_key_past_its_window_is_new_and_the_janitor_forgets_it(api: Any) -> None:
    first = task_id_of(await post(api, V1, REFRAME))
    kept = task_id_of(await post(api, V1, REFRAME, key="kept"))
    conn = api.runtime.db.conn
    conn.execute(
        "UPDATE idempotency_keys SET created_ms = created_ms - ?, expires_ms = expires_ms - ?"
        " WHERE key = ?", (DAY_MS + 1, DAY_MS + 1, KEY),
    )
    # Past the window the key is new, even with another request (the old row is taken over).
    second = task_id_of(await post(api, V1, OTHER_REFRAME))
    assert second != first and tasks(api) == 3 and debits(api) == 3
    assert task_id_of(await post(api, V1, OTHER_REFRAME)) == second
    # The janitor forgets only keys past their window.
    conn.execute(
        "UPDATE idempotency_keys SET expires_ms = ? WHERE key = 'kept'", (now_ms() - 1,)
    )
    assert await api.runtime.janitor.forget_keys() == 1
    left = conn.execute("SELECT key, task_id FROM idempotency_keys").fetchall()
    assert [tuple(row) for row in left] == [(KEY, second)]
    assert kept != second
    assert await api.runtime.janitor.forget_keys(now=now_ms() + DAY_MS + 1) == 1
    assert count(api, "SELECT COUNT(*) FROM idempotency_keys") == 0


async def test_a_tiny_window_setting(harness_opener: Any, runtime_factory: Any) -> None:
    harness, client = await harness_opener(
        runtime_factory(idempotency_hours=0.05 / 3600), start=False  # 50 ms
    )
    async with client:
        first = task_id_of(await post(harness, V1, REFRAME))
        assert task_id_of(await post(harness, V1, REFRAME)) == first
        await asyncio.sleep(0.1)
        assert task_id_of(await post(harness, V1, REFRAME)) != first
        await asyncio.sleep(0.1)
        assert await harness.runtime.janitor.forget_keys() == 1


# --------------------------------------------------------------------------- Ideogram


async def test_ideogram_repeats_answer_the_same_task(live_api: Any) -> None:
    photo = photo_file()
    headers = {"Api-Key": live_api.key, "Idempotency-Key": "ideogram-1"}

    async def reframe(resolution: str = "1312x736") -> httpx.Response:
        return await live_api.client.post(
            IDEOGRAM_V3, data={"resolution": resolution, "rendering_speed": "TURBO"},
            files={"image": ("photo.png", photo, "image/png")}, headers=headers,
        )

    first = await reframe()  # no seed: drawn at random, and reported
    assert first.status_code == 200, first.text
    again = await reframe()
    assert again.status_code == 200, again.text
    task_id = first.headers["X-Imagegate-Task-Id"]
    assert again.headers["X-Imagegate-Task-Id"] == task_id
    assert [i["seed"] for i in again.json()["data"]] == [i["seed"] for i in first.json()["data"]]
    assert tasks(live_api) == 1 and debits(live_api) == 1
    uploads = count(live_api, "SELECT COUNT(*) FROM files WHERE kind = 'upload'")
    assert uploads == 1  # the repeat's image was not stored again
    refused = await reframe("736x1312")
    assert refused.status_code == 422 and "another request" in refused.json()["error"]
    # The jobs API's key space is the account's: createTask cannot reuse this key either.
    jobs = await live_api.client.post(
        V1, json=REFRAME, headers={**live_api.auth, "Idempotency-Key": "ideogram-1"}
    )
    assert jobs.status_code == 422
    assert tasks(live_api) == 1


async def test_concurrent_ideogram_duplicates_make_one_task(live_api: Any) -> None:
    photo = photo_file()
    answers = await asyncio.gather(*(
        live_api.client.post(
            IDEOGRAM_V3, data={"resolution": "1312x736", "seed": "7"},
            files={"image": ("photo.png", photo, "image/png")},
            headers={"Api-Key": live_api.key, "Idempotency-Key": "ideogram-2"},
        )
        for _ in range(4)
    ))
    assert {a.status_code for a in answers} == {200}
    assert len({a.headers["X-Imagegate-Task-Id"] for a in answers}) == 1
    assert tasks(live_api) == 1 and debits(live_api) == 1
    # The losers' uploads were deleted again: only the task's image is kept.
    assert count(live_api, "SELECT COUNT(*) FROM files WHERE kind = 'upload'") == 1


# --------------------------------------------------------------------------- the document


async def test_the_create_operations_document_the_header(api: Any) -> None:
    document = (await api.client.get("/openapi.json")).json()
    for path in (V1, V2, SEEDREAM, IDEOGRAM_V3, "/reframe"):
        names = [p["name"] for p in document["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
