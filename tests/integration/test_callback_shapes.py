"""Each surface's callback as a client of that surface receives it: a real HTTP receiver on
loopback gets the body the task was created through asks for (docs/callbacks.md), for a
success and for each kind of failure: Kie's jobs shape for the jobs API and spec 002's
per-model endpoints, Kie's own shapes for GPT-4o Image and Flux Kontext."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from loopback import LoopbackServer

ApiHarness = Any  # tests/conftest.py's harness: runtime, client, auth, record()

GPT4O = "/api/v1/gpt4o-image/generate"
GPT4O_RECORD = "/api/v1/gpt4o-image/record-info"
FLUX = "/api/v1/flux/kontext/generate"
FLUX_RECORD = "/api/v1/flux/kontext/record-info"
IMAGEN = "/api/v1/google/imagen-4"
FLUX_EMPTY_INFO = {"originImageUrl": "", "resultImageUrl": ""}


@pytest.fixture
async def failing_api(runtime_factory: Any, harness_opener: Any) -> AsyncIterator[ApiHarness]:
    """A started runtime on the memory store whose mock engine fails every task (Kie's
    "generation failed")."""
    runtime = runtime_factory(database_url="memory://", mock_fail_rate=1.0)
    harness, client = await harness_opener(runtime, start=True)
    async with client:
        yield harness
    await runtime.worker.stop()
    await runtime.callbacks.stop()
    await runtime.janitor.stop()
    await runtime.deadlines.stop()


async def create(api: ApiHarness, path: str, body: dict[str, Any]) -> str:
    response = await api.client.post(path, json=body, headers=api.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["taskId"])


async def received(loopback: LoopbackServer, path: str) -> dict[str, Any]:
    """The one callback posted to ``path``, as JSON."""
    (post,) = await asyncio.to_thread(loopback.wait_for_posts, path, 1)
    assert post.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = post.json()
    return body


async def record(api: ApiHarness, path: str, task_id: str) -> dict[str, Any]:
    answer = await api.client.get(path, params={"taskId": task_id}, headers=api.auth)
    data: dict[str, Any] = answer.json()["data"]
    return data


async def downloads_an_image(api: ApiHarness, url: str) -> bool:
    path = url.removeprefix("http://testserver")
    answer = await api.client.get(path)
    return answer.status_code == 200 and answer.headers["content-type"].startswith("image/")


# ---------------------------------------------------------------- GPT-4o Image


async def test_gpt4o_image_success_is_kies_result_urls_shape(
    live_api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(live_api, GPT4O, {
        "prompt": "x", "size": "3:2", "nVariants": 2, "callBackUrl": loopback.url("/gpt4o"),
    })
    body = await received(loopback, "/gpt4o")
    urls = (await record(live_api, GPT4O_RECORD, task_id))["response"]["resultUrls"]
    assert body == {"code": 200, "msg": "success",
                    "data": {"taskId": task_id, "info": {"result_urls": urls}}}
    assert len(urls) == 2
    assert all([await downloads_an_image(live_api, url) for url in urls])


async def test_gpt4o_image_failed_generation_is_code_500_with_null_info(
    failing_api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(failing_api, GPT4O, {"prompt": "x", "callBackUrl": loopback.url("/f")})
    body = await received(loopback, "/f")
    message = (await record(failing_api, GPT4O_RECORD, task_id))["errorMessage"]
    assert "simulated failure" in message
    assert body == {"code": 500, "msg": message, "data": {"taskId": task_id, "info": None}}


async def test_gpt4o_image_unusable_input_is_code_400(
    live_api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(live_api, GPT4O, {
        "prompt": "x", "filesUrl": [loopback.url("/missing.png")],
        "callBackUrl": loopback.url("/bad"),
    })
    body = await received(loopback, "/bad")
    message = (await record(live_api, GPT4O_RECORD, task_id))["errorMessage"]
    assert message.startswith("input.filesUrl") and "404" in message
    assert body == {"code": 400, "msg": message, "data": {"taskId": task_id, "info": None}}


async def test_gpt4o_image_cancelled_is_code_500(
    api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(api, GPT4O, {"prompt": "x", "callBackUrl": loopback.url("/c")})
    cancelled = await api.client.post(
        "/api/v1/jobs/cancelTask", json={"taskId": task_id}, headers=api.auth
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await api.runtime.callbacks.deliver_due() == 1
    body = await received(loopback, "/c")
    assert body == {"code": 500, "msg": "Canceled by the user (cancelTask)",
                    "data": {"taskId": task_id, "info": None}}


# ---------------------------------------------------------------- Flux Kontext


async def test_flux_kontext_success_is_kies_origin_and_result_shape(
    live_api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(live_api, FLUX, {
        "prompt": "x", "model": "flux-kontext-max", "inputImage": loopback.serve_image("/in.png"),
        "callBackUrl": loopback.url("/flux"),
    })
    body = await received(loopback, "/flux")
    response = (await record(live_api, FLUX_RECORD, task_id))["response"]
    assert body == {"code": 200, "msg": "BFL image generated successfully.", "data": {
        "taskId": task_id,
        "info": {"originImageUrl": response["originImageUrl"],
                 "resultImageUrl": response["resultImageUrl"]},
    }}
    assert await downloads_an_image(live_api, body["data"]["info"]["resultImageUrl"])


async def test_flux_kontext_failed_generation_is_code_501_with_empty_links(
    failing_api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(failing_api, FLUX, {"prompt": "x", "callBackUrl": loopback.url("/f")})
    body = await received(loopback, "/f")
    message = (await record(failing_api, FLUX_RECORD, task_id))["errorMessage"]
    assert "simulated failure" in message
    assert body == {"code": 501, "msg": message,
                    "data": {"taskId": task_id, "info": FLUX_EMPTY_INFO}}


async def test_flux_kontext_unusable_input_is_code_400(
    live_api: ApiHarness, loopback: LoopbackServer
) -> None:
    task_id = await create(live_api, FLUX, {
        "prompt": "x", "inputImage": loopback.url("/missing.png"),
        "callBackUrl": loopback.url("/bad"),
    })
    body = await received(loopback, "/bad")
    message = (await record(live_api, FLUX_RECORD, task_id))["errorMessage"]
    assert message.startswith("input.inputImage")
    assert body == {"code": 400, "msg": message,
                    "data": {"taskId": task_id, "info": FLUX_EMPTY_INFO}}


# ---------------------------------------------------------------- jobs shape: jobs API, spec 002


JOBS_DATA = {
    "taskId", "model", "state", "param", "resultJson", "failCode", "failMsg", "costTime",
    "completeTime", "createTime", "updateTime", "progress", "engine", "queuePosition",
    "consumeCredits", "remainedCredits",
}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/jobs/createTask", {"model": "google/nano-banana", "input": {"prompt": "x"}}),
        (IMAGEN, {"prompt": "x"}),
    ],
    ids=["jobs", "model-endpoints"],
)
async def test_jobs_shape_success_carries_the_record_and_credits(
    live_api: ApiHarness, loopback: LoopbackServer, path: str, body: dict[str, Any]
) -> None:
    task_id = await create(live_api, path, {**body, "callBackUrl": loopback.url("/jobs")})
    sent = await received(loopback, "/jobs")
    assert (sent["code"], sent["msg"]) == (200, "Image generated successfully.")
    assert set(sent["data"]) == JOBS_DATA
    record_data = (await live_api.record(task_id)).json()["data"]
    assert {k: v for k, v in sent["data"].items() if k not in ("consumeCredits",
            "remainedCredits")} == record_data
    assert sent["data"]["state"] == "success"
    assert sent["data"]["consumeCredits"] > 0
    balance = (await live_api.client.get("/api/v1/chat/credit", headers=live_api.auth)).json()
    assert sent["data"]["remainedCredits"] == balance["data"]
    [url] = json.loads(sent["data"]["resultJson"])["resultUrls"]
    assert await downloads_an_image(live_api, url)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/jobs/createTask", {"model": "google/nano-banana", "input": {"prompt": "x"}}),
        (IMAGEN, {"prompt": "x"}),
    ],
    ids=["jobs", "model-endpoints"],
)
async def test_jobs_shape_failure_is_code_501_with_the_fail_code(
    failing_api: ApiHarness, loopback: LoopbackServer, path: str, body: dict[str, Any]
) -> None:
    task_id = await create(failing_api, path, {**body, "callBackUrl": loopback.url("/jobs")})
    sent = await received(loopback, "/jobs")
    record_data = (await failing_api.record(task_id)).json()["data"]
    assert (sent["code"], sent["msg"]) == (501, record_data["failMsg"])
    assert sent["data"]["state"] == "fail" and sent["data"]["failCode"] == "501"
    assert sent["data"]["consumeCredits"] == 0 and sent["data"]["resultJson"] is None
    assert sent["data"]["remainedCredits"] == 1000  # refunded before the callback
