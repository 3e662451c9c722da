"""The jobs API in-process (httpx.ASGITransport) on a real SQLite file.

Covers the create → record path, every refusal in its envelope, and the worker taking tasks
from ``waiting`` to ``success`` or ``fail``.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image

from spec_examples import SPEC_000_REQUEST

# Spec 000's request example (tests that run it swap the image URL for a loopback one).
REFRAME_EXAMPLE = json.loads(SPEC_000_REQUEST)


async def wait_terminal(api: Any, task_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        data = (await api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            return data
        assert asyncio.get_running_loop().time() < deadline, f"task stuck in {data['state']}"
        await asyncio.sleep(0.11)  # stays under the 10/s recordInfo limit


async def test_create_answers_task_and_record_ids(api: Any) -> None:
    response = await api.create(REFRAME_EXAMPLE)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 200 and body["msg"] == "success"
    assert body["data"]["taskId"] == body["data"]["recordId"]
    assert len(body["data"]["taskId"]) == 32


async def test_record_of_a_waiting_task_has_exactly_the_spec_fields(api: Any) -> None:
    task_id = (await api.create(REFRAME_EXAMPLE)).json()["data"]["taskId"]
    body = (await api.record(task_id)).json()
    assert body["code"] == 200 and body["msg"] == "success"
    data = body["data"]
    assert set(data) == {
        "taskId", "model", "state", "param", "resultJson", "failCode", "failMsg",
        "costTime", "completeTime", "createTime", "updateTime", "progress", "engine",
        "queuePosition",
    }
    assert data["state"] == "waiting" and data["model"] == "ideogram/v3-reframe"
    assert data["queuePosition"] == 0  # the only waiting task: next
    assert json.loads(data["param"]) == REFRAME_EXAMPLE  # the complete create request
    assert data["failCode"] is None and data["costTime"] is None
    assert data["completeTime"] is None and isinstance(data["createTime"], int)


async def test_qwen_example_of_spec_004_is_accepted(api: Any) -> None:
    body = {
        "model": "qwen/image-edit",
        "input": {
            "prompt": "", "image_url": "https://example.com/a.jpg", "acceleration": "none",
            "image_size": "landscape_4_3", "num_inference_steps": 25, "seed": 42,
            "guidance_scale": 4, "sync_mode": False, "enable_safety_checker": True,
            "output_format": "png", "negative_prompt": "blurry, ugly",
        },
    }
    response = await api.create(body)
    assert response.status_code == 200, response.text


async def test_v2_create_answers_in_spec_002_shape(api: Any) -> None:
    response = await api.client.post(
        "/api/v2/jobs/createTask",
        json={**REFRAME_EXAMPLE, "callbackUrl": "https://example.com/cb"},
        headers=api.auth,
    )
    body = response.json()
    assert body["code"] == 200 and body["message"] == "success"
    task_id = body["data"]["task_id"]
    # Both spellings, so a client written for v1's answer reads it too (issue 19).
    assert body["data"] == {"task_id": task_id, "taskId": task_id, "recordId": task_id}
    record = (await api.record(task_id)).json()["data"]
    assert json.loads(record["param"])["callbackUrl"] == "https://example.com/cb"
    task = await api.runtime.store.get_task(task_id)
    assert task.callback_url == "https://example.com/cb"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-API-KEY": "ig_nope"}, {"Authorization": "Basic x"}],
)
async def test_missing_or_wrong_key_is_401(api: Any, headers: dict[str, str]) -> None:
    response = await api.client.post(
        "/api/v1/jobs/createTask", json=REFRAME_EXAMPLE, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["code"] == 401
    assert "Authentication failed" in response.json()["msg"]


async def test_x_api_key_header_works(api: Any) -> None:
    response = await api.client.post(
        "/api/v1/jobs/createTask", json=REFRAME_EXAMPLE, headers={"X-API-KEY": api.key}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": "ideogram/v4-nothing"}, "model"),
        ({"model": None}, "model"),
        ({"input": None}, "input"),
        ({"input": {**REFRAME_EXAMPLE["input"], "image_size": "huge"}}, "input.image_size"),
        ({"input": {**REFRAME_EXAMPLE["input"], "num_images": "5"}}, "input.num_images"),
        ({"input": {k: v for k, v in REFRAME_EXAMPLE["input"].items() if k != "image_url"}},
         "input.image_url"),
        ({"callBackUrl": "ftp://example.com/cb"}, "callBackUrl"),
    ],
)
async def test_field_out_of_spec_is_422_naming_the_field(
    api: Any, change: dict[str, Any], field: str
) -> None:
    body = {**REFRAME_EXAMPLE, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await api.create(body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == 422
    assert response.json()["msg"].startswith(f"{field}:")


async def test_malformed_json_is_400(api: Any) -> None:
    response = await api.client.post(
        "/api/v1/jobs/createTask", content=b'{"model": ', headers=api.auth
    )
    assert response.status_code == 400
    assert response.json()["code"] == 400 and "Malformed JSON" in response.json()["msg"]


async def test_body_over_its_limit_is_413_in_the_envelope(api: Any) -> None:
    huge = {**REFRAME_EXAMPLE, "pad": "x" * (api.runtime.settings.max_json_body_bytes + 1)}
    response = await api.create(huge)
    assert response.status_code == 413
    assert response.json()["code"] == 413


async def test_short_balance_is_402_and_creates_nothing(api: Any) -> None:
    account = (await api.runtime.store.list_accounts())[0]
    await api.runtime.store.grant_credits(account.id, -account.credits_milli + 1000)
    response = await api.create(REFRAME_EXAMPLE)  # costs 7 credits, 1 left
    assert response.status_code == 402 and response.json()["code"] == 402
    assert await api.runtime.store.count_by_state() == {}


async def test_unknown_or_foreign_task_is_404(api: Any) -> None:
    from imagegate.accounts.keys import AccountRequest, create_account

    task_id = (await api.create(REFRAME_EXAMPLE)).json()["data"]["taskId"]
    _, other_key = await create_account(api.runtime.store, AccountRequest("other", credits=10))
    for key, tid in ((api.key, "nope"), (other_key, task_id)):
        response = await api.client.get(
            "/api/v1/jobs/recordInfo", params={"taskId": tid},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 404 and response.json()["code"] == 404


async def test_create_rate_limit_is_429_with_retry_after(
    harness_opener: Any, runtime_factory: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(create_rate="3/10s"), start=False)
    async with client:
        statuses = [(await harness.create(REFRAME_EXAMPLE)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await harness.create(REFRAME_EXAMPLE)
        assert refused.json()["code"] == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 10


async def test_query_rate_limit_defaults_to_ten_per_second(api: Any) -> None:
    task_id = (await api.create(REFRAME_EXAMPLE)).json()["data"]["taskId"]
    statuses = [(await api.record(task_id)).status_code for _ in range(11)]
    assert statuses.count(200) == 10 and statuses[-1] == 429


async def test_credit_endpoint_answers_the_balance(api: Any) -> None:
    before = (await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()
    assert before == {"code": 200, "msg": "success", "data": 1000}
    await api.create(REFRAME_EXAMPLE)
    after = (await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()
    assert after["data"] == 993


async def test_unknown_route_is_404_in_the_envelope(api: Any) -> None:
    response = await api.client.get("/api/v1/nothing", headers=api.auth)
    assert response.status_code == 404 and response.json()["code"] == 404


async def test_business_errors_can_answer_http_200(
    harness_opener: Any, runtime_factory: Any
) -> None:
    _, client = await harness_opener(runtime_factory(business_errors_http_200=True), start=False)
    async with client:
        response = await client.post("/api/v1/jobs/createTask", json=REFRAME_EXAMPLE)
        assert response.status_code == 200 and response.json()["code"] == 401


async def test_model_without_engine_is_505(api: Any) -> None:
    from imagegate.engines.router import Router

    api.runtime.router = Router({})
    response = await api.create(REFRAME_EXAMPLE)
    assert response.status_code == 403 and response.json()["code"] == 505
    # The message says which configuration enables the model.
    assert "IMAGEGATE_MOCK=1" in response.json()["msg"]


async def test_worker_takes_a_task_to_success(live_api: Any, loopback: Any) -> None:
    body = {**REFRAME_EXAMPLE, "input": {**REFRAME_EXAMPLE["input"],
                                         "image_url": loopback.serve_image("/in.png"),
                                         "image_size": "portrait_16_9", "num_images": 2}}
    task_id = (await live_api.create(body)).json()["data"]["taskId"]
    data = await wait_terminal(live_api, task_id)
    assert data["state"] == "success", data
    assert data["progress"] == 100 and data["failCode"] is None
    assert data["costTime"] >= 0 and data["completeTime"] >= data["createTime"]
    urls = json.loads(data["resultJson"])["resultUrls"]
    assert len(urls) == 2
    for url in urls:
        image = await live_api.client.get(url.removeprefix("http://testserver"))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(image.content)).size == (576, 1024)


async def test_failed_generation_is_data_and_refunds(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(mock_fail_rate=1.0), start=True)
    async with client:
        body = {**REFRAME_EXAMPLE, "input": {**REFRAME_EXAMPLE["input"],
                                             "image_url": loopback.serve_image("/in.png")}}
        task_id = (await harness.create(body)).json()["data"]["taskId"]
        data = await wait_terminal(harness, task_id)
        assert data["state"] == "fail" and data["failCode"] == "501"
        assert "simulated failure" in data["failMsg"] and data["resultJson"] is None
        credit = (await client.get("/api/v1/chat/credit", headers=harness.auth)).json()
        assert credit["data"] == 1000
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def test_unreachable_input_image_fails_the_task_with_422(
    live_api: Any, loopback: Any
) -> None:
    body = {**REFRAME_EXAMPLE, "input": {**REFRAME_EXAMPLE["input"],
                                         "image_url": loopback.url("/missing.png")}}
    task_id = (await live_api.create(body)).json()["data"]["taskId"]
    data = await wait_terminal(live_api, task_id)
    assert data["state"] == "fail" and data["failCode"] == "422"
    assert data["failMsg"].startswith("input.image_url")


async def test_own_file_urls_are_read_from_the_store(
    harness_opener: Any, runtime_factory: Any
) -> None:
    import base64

    # No allow-list: a fetch over HTTP of the server's own (loopback) URL would be refused,
    # so success proves the worker read the upload from its BlobStore.
    runtime = runtime_factory(url_allowlist=[], public_url="http://127.0.0.1:9")
    harness, client = await harness_opener(runtime, start=True)
    async with client:
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, "PNG")
        upload = await client.post(
            "/api/file-base64-upload", headers=harness.auth,
            json={"base64Data": base64.b64encode(buffer.getvalue()).decode(),
                  "uploadPath": "in", "fileName": "a.png"},
        )
        url = upload.json()["data"]["downloadUrl"]
        assert url.startswith("http://127.0.0.1:9/files/")
        body = {**REFRAME_EXAMPLE, "input": {**REFRAME_EXAMPLE["input"], "image_url": url}}
        task_id = (await harness.create(body)).json()["data"]["taskId"]
        data = await wait_terminal(harness, task_id)
        assert data["state"] == "success", data
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()
