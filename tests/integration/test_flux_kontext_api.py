"""Kie's Flux Kontext endpoints in-process: generate → record-info through the states, every
documented limit (generate and edit mode), errors and credits (mock engine; its
callbacks: test_callback_shapes.py)."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image

GENERATE = "/api/v1/flux/kontext/generate"
RECORD = "/api/v1/flux/kontext/record-info"
PRICES = {"flux-kontext-pro": 5, "flux-kontext-max": 10}

# The notes' (Kie's documented) request, and spec 002's spelling of the same.
KIE_EXAMPLE = {
    "prompt": "A serene mountain landscape at sunset with a lake reflecting the orange sky",
    "aspectRatio": "16:9",
    "outputFormat": "jpeg",
    "promptUpsampling": False,
    "model": "flux-kontext-pro",
    "safetyTolerance": 2,
    "callBackUrl": "https://your-callback-url.com/callback",
}
SPEC_002_EXAMPLE = {
    "prompt": "a cat in a spacesuit", "ratio": "4:5", "output_format": "png",
    "model": "flux-kontext-max",
}
RECORD_FIELDS = {
    "taskId", "paramJson", "completeTime", "response", "successFlag", "errorCode",
    "errorMessage", "createTime",
    "status", "imageUrl", "progress",  # spec 002's generic fields
}
URL = "https://example.com/a.png"


async def generate(api: Any, body: dict[str, Any]) -> Any:
    return await api.client.post(GENERATE, json=body, headers=api.auth)


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
    while True:
        data = (await record(api, task_id)).json()["data"]
        if data["successFlag"] != 0:
            return data
        assert asyncio.get_running_loop().time() < deadline, "task stuck generating"
        await asyncio.sleep(0.11)


async def balance(api: Any) -> float:
    return float((await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()["data"])


async def fetch_image(api: Any, url: str) -> tuple[str, tuple[int, int]]:
    response = await api.client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    return response.headers["content-type"], Image.open(io.BytesIO(response.content)).size


# ---------------------------------------------------------------- create and record


@pytest.mark.parametrize("body", [KIE_EXAMPLE, SPEC_002_EXAMPLE], ids=["kie", "spec002"])
async def test_documented_examples_answer_a_task_id(api: Any, body: dict[str, Any]) -> None:
    task = await api.runtime.store.get_task(await task_id_of(api, body))
    assert task.model == body["model"]
    assert "model" not in task.input and "callBackUrl" not in task.input
    assert task.callback_url == body.get("callBackUrl")


async def test_model_defaults_to_pro_and_fields_to_their_defaults(api: Any) -> None:
    task = await api.runtime.store.get_task(await task_id_of(api, {"prompt": "x"}))
    assert task.model == "flux-kontext-pro"
    assert task.input == {
        "prompt": "x", "aspectRatio": "16:9", "promptUpsampling": False, "safetyTolerance": 2,
    }


async def test_record_of_a_waiting_task(api: Any) -> None:
    task_id = await task_id_of(api, KIE_EXAMPLE)
    answer = (await record(api, task_id)).json()
    assert answer["code"] == 200 and answer["msg"] == "success"
    data = answer["data"]
    assert set(data) == RECORD_FIELDS
    assert data["taskId"] == task_id and data["successFlag"] == 0
    assert (data["status"], data["imageUrl"], data["progress"]) == ("pending", None, 0)
    assert data["response"] is None and data["completeTime"] is None
    assert data["errorCode"] is None and data["errorMessage"] is None
    assert json.loads(data["paramJson"]) == KIE_EXAMPLE


@pytest.mark.parametrize(
    ("body", "mime", "pixels"),
    [
        (KIE_EXAMPLE, "image/jpeg", (1024, 576)),
        ({"prompt": "x"}, "image/png", (1024, 576)),  # png when no format is sent (spec 002)
        ({"prompt": "x", "aspectRatio": "9:16", "outputFormat": "png"}, "image/png", (576, 1024)),
        ({"prompt": "x", "aspectRatio": "21:9"}, "image/png", (1024, 440)),
        (SPEC_002_EXAMPLE, "image/png", (816, 1024)),
        ({"prompt": "x", "output_format": "jpeg", "ratio": "5:4"}, "image/jpeg", (1024, 816)),
    ],
)
async def test_task_runs_to_success_with_its_image(
    live_api: Any, body: dict[str, Any], mime: str, pixels: tuple[int, int]
) -> None:
    body = {k: v for k, v in body.items() if k != "callBackUrl"}
    data = await wait_done(live_api, await task_id_of(live_api, body))
    assert data["successFlag"] == 1, data
    assert data["errorCode"] is None and data["errorMessage"] is None
    assert data["completeTime"] >= data["createTime"]
    response = data["response"]
    assert set(response) == {"originImageUrl", "resultImageUrl"}
    assert (data["status"], data["progress"]) == ("completed", 100)
    assert data["imageUrl"] == response["resultImageUrl"]
    assert await fetch_image(live_api, response["resultImageUrl"]) == (mime, pixels)


async def test_edit_mode_fetches_the_input_image(live_api: Any, loopback: Any) -> None:
    body = {"prompt": "make it blue", "inputImage": loopback.serve_image("/in.png"),
            "aspectRatio": "1:1", "model": "flux-kontext-max"}
    data = await wait_done(live_api, await task_id_of(live_api, body))
    assert data["successFlag"] == 1
    assert (await fetch_image(live_api, data["response"]["resultImageUrl"]))[1] == (1024, 1024)
    assert json.loads(data["paramJson"])["inputImage"] == body["inputImage"]


async def test_failed_generation_is_flag_3_and_refunds(
    harness_opener: Any, runtime_factory: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(mock_fail_rate=1.0), start=True)
    async with client:
        task_id = await task_id_of(harness, {"prompt": "x", "model": "flux-kontext-max"})
        assert await balance(harness) == 1000 - 10
        data = await wait_done(harness, task_id)
        assert data["successFlag"] == 3 and data["response"] is None
        assert (data["status"], data["imageUrl"]) == ("failed", None)
        assert data["errorCode"] == 501 and "simulated failure" in data["errorMessage"]
        assert await balance(harness) == 1000
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def test_unusable_input_image_is_flag_2(live_api: Any, loopback: Any) -> None:
    task_id = await task_id_of(live_api, {"prompt": "x", "inputImage": loopback.url("/no.png")})
    data = await wait_done(live_api, task_id)
    assert data["successFlag"] == 2 and data["errorCode"] == 422
    assert data["errorMessage"].startswith("input.inputImage")
    assert await balance(live_api) == 1000


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "change",
    [
        *({"aspectRatio": r} for r in ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")),
        *({"ratio": r} for r in ("16:9", "9:16", "21:9", "3:4", "4:3", "5:4", "4:5")),
        {"outputFormat": "jpeg"}, {"outputFormat": "png"}, {"output_format": "png"},
        {"model": "flux-kontext-pro"}, {"model": "flux-kontext-max"},
        {"safetyTolerance": 0}, {"safetyTolerance": 6},
        {"inputImage": URL, "safetyTolerance": 2},
        {"inputImage": URL},  # the default 2 is inside edit mode's range
        {"promptUpsampling": True, "enableTranslation": False, "watermark": "my-mark"},
        {"prompt": ""},
    ],
)
async def test_inside_the_limits_is_accepted(api: Any, change: dict[str, Any]) -> None:
    await task_id_of(api, {"prompt": "x", **change})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"aspectRatio": "5:4"}, "aspectRatio"),  # spec 002's ratio has it, Kie's does not
        ({"aspectRatio": "2:1"}, "aspectRatio"),
        ({"ratio": "1:1"}, "ratio"),
        ({"aspectRatio": "1:1", "ratio": "1:1"}, "ratio"),
        ({"outputFormat": "webp"}, "outputFormat"),
        ({"output_format": "gif"}, "output_format"),
        ({"outputFormat": "png", "output_format": "png"}, "output_format"),
        ({"model": "flux-kontext-ultra"}, "model"),
        ({"model": 1}, "model"),
        ({"safetyTolerance": 7}, "safetyTolerance"),
        ({"safetyTolerance": -1}, "safetyTolerance"),
        ({"safetyTolerance": 1.5}, "safetyTolerance"),
        ({"inputImage": URL, "safetyTolerance": 3}, "safetyTolerance"),
        ({"inputImage": "not a url"}, "inputImage"),
        ({"prompt": None}, "prompt"),
        ({"promptUpsampling": "no"}, "promptUpsampling"),
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
    assert answer["code"] == 422 and answer["msg"].startswith(f"{field}:"), answer["msg"]
    assert await api.runtime.store.count_by_state() == {}


# ---------------------------------------------------------------- errors


async def test_missing_key_is_401(api: Any) -> None:
    for response in (
        await api.client.post(GENERATE, json={"prompt": "x"}),
        await api.client.get(RECORD, params={"taskId": "x"}),
    ):
        assert response.status_code == 401 and response.json()["code"] == 401


async def test_short_balance_is_402(api: Any) -> None:
    account = (await api.runtime.store.list_accounts())[0]
    await api.runtime.store.grant_credits(account.id, -account.credits_milli + 7_000)
    await task_id_of(api, {"prompt": "x"})  # pro: 5 credits, 2 left
    response = await generate(api, {"prompt": "x", "model": "flux-kontext-max"})
    assert response.status_code == 402 and response.json()["code"] == 402


async def test_unknown_foreign_or_other_models_task_is_404(api: Any) -> None:
    from imagegate.accounts.keys import AccountRequest, create_account

    mine = await task_id_of(api, {"prompt": "x"})
    gpt = (await api.client.post("/api/v1/gpt4o-image/generate", json={"prompt": "x"},
                                 headers=api.auth)).json()["data"]["taskId"]
    _, other_key = await create_account(api.runtime.store, AccountRequest("other", credits=10))
    for key, task_id in ((api.key, "nope"), (api.key, gpt), (other_key, mine)):
        response = await api.client.get(RECORD, params={"taskId": task_id},
                                        headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 404 and response.json()["code"] == 404


async def test_create_rate_limit_is_429(harness_opener: Any, runtime_factory: Any) -> None:
    harness, client = await harness_opener(runtime_factory(create_rate="1/10s"), start=False)
    async with client:
        assert (await generate(harness, {"prompt": "x"})).status_code == 200
        refused = await generate(harness, {"prompt": "x"})
        assert refused.status_code == 429 and refused.json()["code"] == 429


# ---------------------------------------------------------------- credits, jobs API
# (Callbacks in this surface's shape: tests/integration/test_callback_shapes.py.)


@pytest.mark.parametrize("model", list(PRICES))
async def test_credits_are_charged_by_model(api: Any, model: str) -> None:
    await task_id_of(api, {"prompt": "x", "model": model})
    assert await balance(api) == 1000 - PRICES[model]


async def test_both_models_are_reachable_through_create_task_too(api: Any) -> None:
    for model in PRICES:
        response = await api.create({"model": model, "input": {"prompt": "x"}})
        assert response.status_code == 200, response.text
        data = (await record(api, response.json()["data"]["taskId"])).json()["data"]
        assert json.loads(data["paramJson"]) == {"model": model, "prompt": "x"}


async def test_openapi_documents_both_endpoints(api: Any) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    schema = paths[GENERATE]["post"]["requestBody"]["content"]["application/json"]["schema"]
    props = schema["properties"]
    assert props["model"]["enum"] == ["flux-kontext-pro", "flux-kontext-max"]
    assert props["safetyTolerance"]["maximum"] == 6 and schema["required"] == ["prompt"]
    answer = paths[RECORD]["get"]["responses"]["200"]["content"]["application/json"]
    # FastAPI drops null members from the document's examples (errorCode, errorMessage).
    assert set(answer["example"]["data"]) == RECORD_FIELDS - {"errorCode", "errorMessage"}
    assert set(answer["schema"]["properties"]["data"]["properties"]) == RECORD_FIELDS
