"""Kie's GPT-4o Image endpoints in-process: generate → record-info through the states, every
documented limit, errors in the envelope and credits (mock engine; its callbacks:
test_callback_shapes.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
from typing import Any

import pytest
from PIL import Image

GENERATE = "/api/v1/gpt4o-image/generate"
RECORD = "/api/v1/gpt4o-image/record-info"
PRICE = 6  # credits per image (imagegate's default for gpt4o-image)

# Spec 002's "Basic Generation" example, and the notes' (Kie's documented) full request.
SPEC_002_EXAMPLE = {"prompt": "sunset over mountains"}
KIE_EXAMPLE = {
    "prompt": "A beautiful sunset over the mountains",
    "size": "1:1",
    "nVariants": 1,
    "filesUrl": ["https://example.com/image1.png"],
    "callBackUrl": "https://your-callback-url.com/callback",
    "isEnhance": False,
    "enableFallback": False,
    "fallbackModel": "FLUX_MAX",
}
RECORD_FIELDS = {
    "taskId", "paramJson", "completeTime", "response", "successFlag", "status", "errorCode",
    "errorMessage", "createTime", "progress",
    "imageUrl",  # spec 002's generic field (its status and progress are Kie's here)
}
URL = "https://example.com/a.png"


async def generate(api: Any, body: dict[str, Any], **headers: str) -> Any:
    return await api.client.post(GENERATE, json=body, headers={**api.auth, **headers})


async def record(api: Any, task_id: str) -> Any:
    return await api.client.get(RECORD, params={"taskId": task_id}, headers=api.auth)


async def task_id_of(api: Any, body: dict[str, Any]) -> str:
    response = await generate(api, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"] == 200 and answer["msg"] == "success"
    assert set(answer["data"]) == {"taskId"}
    return str(answer["data"]["taskId"])


async def wait_done(api: Any, task_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    seen: list[tuple[str, int, str]] = []
    while True:
        data = (await record(api, task_id)).json()["data"]
        seen.append((data["status"], data["successFlag"], data["progress"]))
        if data["successFlag"] != 0:
            return data
        assert asyncio.get_running_loop().time() < deadline, f"task stuck: {seen[-1]}"
        await asyncio.sleep(0.11)  # stays under the 10/s record-info limit


async def balance(api: Any) -> float:
    return float((await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()["data"])


# ---------------------------------------------------------------- create and record


@pytest.mark.parametrize("body", [SPEC_002_EXAMPLE, KIE_EXAMPLE], ids=["spec002", "kie"])
async def test_documented_examples_answer_a_task_id(api: Any, body: dict[str, Any]) -> None:
    task_id = await task_id_of(api, body)
    task = await api.runtime.store.get_task(task_id)
    assert task.model == "gpt4o-image" and task.state.value == "waiting"
    assert "callBackUrl" not in task.input
    assert task.callback_url == body.get("callBackUrl")


async def test_record_of_a_waiting_task_is_generating(api: Any) -> None:
    task_id = await task_id_of(api, KIE_EXAMPLE)
    answer = (await record(api, task_id)).json()
    assert answer["code"] == 200 and answer["msg"] == "success"
    data = answer["data"]
    assert set(data) == RECORD_FIELDS
    assert data["taskId"] == task_id
    assert data["status"] == "GENERATING" and data["successFlag"] == 0
    assert data["progress"] == "0.00" and data["imageUrl"] is None
    assert data["response"] is None and data["completeTime"] is None
    assert data["errorCode"] is None and data["errorMessage"] is None
    assert isinstance(data["createTime"], int)
    assert json.loads(data["paramJson"]) == KIE_EXAMPLE


async def test_defaults_are_applied(api: Any) -> None:
    task = await api.runtime.store.get_task(await task_id_of(api, SPEC_002_EXAMPLE))
    assert task.input == {
        "prompt": "sunset over mountains", "size": "1:1", "nVariants": 1,
        "isEnhance": False, "enableFallback": False,
    }


async def test_task_runs_to_success_with_result_urls(live_api: Any, loopback: Any) -> None:
    body = {"prompt": "a red fox", "size": "3:2", "nVariants": 2,
            "filesUrl": [loopback.serve_image("/ref.png")]}
    task_id = await task_id_of(live_api, body)
    data = await wait_done(live_api, task_id)
    assert data["status"] == "SUCCESS" and data["successFlag"] == 1, data
    assert data["progress"] == "1.00"
    assert data["errorCode"] is None and data["errorMessage"] is None
    assert data["completeTime"] >= data["createTime"]
    urls = data["response"]["resultUrls"]
    assert set(data["response"]) == {"resultUrls"} and len(urls) == 2
    assert data["imageUrl"] == urls[0]
    for url in urls:
        image = await live_api.client.get(url.removeprefix("http://testserver"))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(image.content)).size == (1024, 680)  # 3:2, 1024 long side


@pytest.mark.parametrize(("size", "pixels"), [("1:1", (1024, 1024)), ("2:3", (680, 1024))])
async def test_output_pixels_follow_the_size(
    live_api: Any, size: str, pixels: tuple[int, int]
) -> None:
    data = await wait_done(live_api, await task_id_of(live_api, {"prompt": "x", "size": size}))
    (url,) = data["response"]["resultUrls"]
    image = await live_api.client.get(url.removeprefix("http://testserver"))
    assert Image.open(io.BytesIO(image.content)).size == pixels


async def test_progress_is_a_two_decimal_string_through_the_states(api: Any) -> None:
    from imagegate.tasks.state import TaskState
    from imagegate.wire.gpt4o_image import record

    task_id = await task_id_of(api, SPEC_002_EXAMPLE)
    task = await api.runtime.store.get_task(task_id)
    for state, progress, text, status in (
        ("waiting", 0, "0.00", "GENERATING"),
        ("queuing", 5, "0.05", "GENERATING"),
        ("generating", 55, "0.55", "GENERATING"),
        ("success", 100, "1.00", "SUCCESS"),
    ):
        changed = dataclasses.replace(task, state=TaskState(state), progress=progress)
        data = record(changed, api.runtime.signer.url)
        assert data["progress"] == text and data["status"] == status


async def test_failed_generation_is_generate_failed_and_refunds(
    harness_opener: Any, runtime_factory: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(mock_fail_rate=1.0), start=True)
    async with client:
        task_id = await task_id_of(harness, {"prompt": "x", "nVariants": 4})
        assert await balance(harness) == 1000 - 4 * PRICE
        data = await wait_done(harness, task_id)
        assert data["status"] == "GENERATE_FAILED" and data["successFlag"] == 2
        assert data["errorCode"] == 501 and "simulated failure" in data["errorMessage"]
        assert data["response"] is None
        assert await balance(harness) == 1000
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def test_unusable_input_image_is_create_task_failed(live_api: Any, loopback: Any) -> None:
    task_id = await task_id_of(live_api, {"prompt": "x", "filesUrl": [loopback.url("/none.png")]})
    data = await wait_done(live_api, task_id)
    assert data["status"] == "CREATE_TASK_FAILED" and data["successFlag"] == 2
    assert data["errorCode"] == 422 and data["errorMessage"].startswith("input.filesUrl")
    assert await balance(live_api) == 1000


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "change",
    [
        {"size": "1:1"}, {"size": "3:2"}, {"size": "2:3"},
        {"nVariants": 1}, {"nVariants": 2}, {"nVariants": 4}, {"nVariants": "4"},
        {"variants": 3},
        {"filesUrl": [URL] * 5},
        {"filesUrl": [URL], "prompt": None},
        {"maskUrl": URL},
        {"isEnhance": True, "enableFallback": True, "fallbackModel": "GPT_IMAGE_1"},
        {"callBackUrl": "https://example.com/cb"},
    ],
)
async def test_inside_the_limits_is_accepted(api: Any, change: dict[str, Any]) -> None:
    body = {k: v for k, v in {"prompt": "x", **change}.items() if v is not None}
    await task_id_of(api, body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"size": "16:9"}, "size"),
        ({"size": 1}, "size"),
        ({"nVariants": 3}, "nVariants"),
        ({"nVariants": 0}, "nVariants"),
        ({"variants": 5}, "variants"),
        ({"variants": 2, "nVariants": 2}, "variants"),
        ({"filesUrl": [URL] * 6}, "filesUrl"),
        ({"filesUrl": URL}, "filesUrl"),
        ({"filesUrl": [URL, "not a url"]}, "filesUrl[1]"),
        ({"prompt": None}, "prompt"),
        ({"prompt": None, "filesUrl": []}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": 5}, "prompt"),
        ({"maskUrl": "ftp://example.com/m.png"}, "maskUrl"),
        ({"isEnhance": "yes"}, "isEnhance"),
        ({"callBackUrl": "ftp://example.com/cb"}, "callBackUrl"),
    ],
)
async def test_outside_the_limits_is_422_naming_the_field(
    api: Any, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {"prompt": "x", **change}.items() if v is not None}
    response = await generate(api, body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["code"] == 422 and answer["data"] is None
    assert answer["msg"].startswith(f"{field}:"), answer["msg"]
    assert await api.runtime.store.count_by_state() == {}


# ---------------------------------------------------------------- errors


async def test_missing_key_is_401(api: Any) -> None:
    for response in (
        await api.client.post(GENERATE, json=SPEC_002_EXAMPLE),
        await api.client.get(RECORD, params={"taskId": "x"}),
    ):
        assert response.status_code == 401 and response.json()["code"] == 401


async def test_x_api_key_header_works(api: Any) -> None:
    response = await api.client.post(GENERATE, json=SPEC_002_EXAMPLE,
                                     headers={"X-API-KEY": api.key})
    assert response.status_code == 200


async def test_short_balance_is_402(api: Any) -> None:
    account = (await api.runtime.store.list_accounts())[0]
    await api.runtime.store.grant_credits(account.id, -account.credits_milli + 10_000)
    response = await generate(api, {"prompt": "x", "nVariants": 2})  # 12 credits, 10 left
    assert response.status_code == 402 and response.json()["code"] == 402
    assert await api.runtime.store.count_by_state() == {}


async def test_malformed_json_is_400(api: Any) -> None:
    response = await api.client.post(GENERATE, content=b"[", headers=api.auth)
    assert response.status_code == 400 and response.json()["code"] == 400


async def test_unknown_foreign_or_other_models_task_is_404(api: Any) -> None:
    from imagegate.accounts.keys import AccountRequest, create_account

    mine = await task_id_of(api, SPEC_002_EXAMPLE)
    flux = (await api.client.post("/api/v1/flux/kontext/generate", json={"prompt": "x"},
                                  headers=api.auth)).json()["data"]["taskId"]
    _, other_key = await create_account(api.runtime.store, AccountRequest("other", credits=10))
    for key, task_id in ((api.key, "nope"), (api.key, flux), (other_key, mine)):
        response = await api.client.get(RECORD, params={"taskId": task_id},
                                        headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 404 and response.json()["code"] == 404


async def test_missing_task_id_is_422(api: Any) -> None:
    response = await api.client.get(RECORD, headers=api.auth)
    assert response.status_code == 422 and response.json()["msg"].startswith("taskId:")


async def test_create_rate_limit_is_429(harness_opener: Any, runtime_factory: Any) -> None:
    harness, client = await harness_opener(runtime_factory(create_rate="2/10s"), start=False)
    async with client:
        statuses = [(await generate(harness, SPEC_002_EXAMPLE)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = await generate(harness, SPEC_002_EXAMPLE)
        assert refused.json()["code"] == 429 and "Retry-After" in refused.headers


async def test_record_rate_limit_is_429(api: Any) -> None:
    task_id = await task_id_of(api, SPEC_002_EXAMPLE)
    statuses = [(await record(api, task_id)).status_code for _ in range(11)]
    assert statuses.count(200) == 10 and statuses[-1] == 429


# ---------------------------------------------------------------- credits, jobs API
# (Callbacks in this surface's shape: tests/integration/test_callback_shapes.py.)


@pytest.mark.parametrize(("count", "cost"), [(1, 6), (2, 12), (4, 24)])
async def test_credits_are_charged_per_image(api: Any, count: int, cost: int) -> None:
    await task_id_of(api, {"prompt": "x", "nVariants": count})
    assert await balance(api) == 1000 - cost


async def test_the_model_is_reachable_through_create_task_too(api: Any) -> None:
    response = await api.create({"model": "gpt4o-image", "input": {"prompt": "x", "size": "2:3"}})
    assert response.status_code == 200, response.text
    task_id = response.json()["data"]["taskId"]
    data = (await record(api, task_id)).json()["data"]
    assert json.loads(data["paramJson"]) == {"prompt": "x", "size": "2:3"}
    assert (await api.record(task_id)).json()["data"]["model"] == "gpt4o-image"


async def test_openapi_documents_both_endpoints(api: Any) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    create = paths[GENERATE]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert {"prompt", "size", "nVariants", "filesUrl", "maskUrl", "callBackUrl"} <= set(
        schema["properties"]
    )
    assert schema["properties"]["filesUrl"]["maxItems"] == 5
    answer = paths[RECORD]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["example"]["data"]["status"] == "SUCCESS"
