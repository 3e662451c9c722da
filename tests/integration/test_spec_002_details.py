"""Spec 002's small print, through the API: aspect-ratio ``image_size`` on Seedream and the
Ideogram models, a client's float arithmetic on a stepped number, and the query response of a
task made through v2 (``message``, ``failCode`` "")."""

from __future__ import annotations

from typing import Any

import pytest
from test_api_jobs_models import results, wait_terminal


@pytest.mark.parametrize(
    ("path", "body", "size"),
    [
        # Seedream: the ratio at the chosen resolution's long side (1K = 1024).
        ("/api/v1/bytedance/seedream-v4-text-to-image",
         {"prompt": "a teapot", "image_size": "16:9", "image_resolution": "1K"}, (1024, 576)),
        ("/api/v1/ideogram/v3-text-to-image", {"prompt": "a logo", "image_size": "9:16"},
         (576, 1024)),
        ("/api/v1/ideogram/character", {"prompt": "a woman", "image_size": "4:3"}, (1024, 768)),
    ],
)  # fmt: skip
async def test_aspect_ratio_image_sizes_are_taken(
    live_api: Any, path: str, body: dict[str, Any], size: tuple[int, int]
) -> None:
    response = await live_api.client.post(path, json=body, headers=live_api.auth)
    assert response.status_code == 200, response.text
    assert await results(live_api, response.json()["data"]["taskId"]) == [("image/png", size)]


async def test_a_ratio_no_model_lists_is_still_refused(api: Any) -> None:
    response = await api.client.post(
        "/api/v1/ideogram/v3-text-to-image", json={"prompt": "p", "image_size": "7:5"},
        headers=api.auth,
    )
    assert response.status_code == 422
    assert response.json()["msg"].startswith("image_size:")


async def test_guidance_scale_from_float_arithmetic_is_taken(api: Any) -> None:
    body = {"model": "qwen/image-edit",
            "input": {"prompt": "p", "image_url": "https://example.com/a.png",
                      "guidance_scale": 0.1 + 0.2}}  # fmt: skip
    response = await api.create(body)
    assert response.status_code == 200, response.text
    body["input"]["guidance_scale"] = 0.35
    refused = await api.create(body)
    assert refused.status_code == 422
    assert refused.json()["msg"] == "input.guidance_scale: must be a multiple of 0.1 (got 0.35)"


async def test_a_v2_tasks_record_is_spec_002s_query_response(live_api: Any) -> None:
    body = {"model": "nano-banana-pro", "input": {"input_prompt": "p"}}
    made = await live_api.client.post("/api/v2/jobs/createTask", json=body,
                                      headers=live_api.auth)
    task_id = made.json()["data"]["task_id"]
    await wait_terminal(live_api, task_id)
    answer = (await live_api.record(task_id)).json()
    assert answer["code"] == 200 and answer["message"] == "success" and answer["msg"] == "success"
    data = answer["data"]
    assert data["state"] == "success" and data["model"] == "nano-banana-pro"
    assert data["failCode"] == "" and data["failMsg"] == ""
    # The same model created through v1 keeps spec 000's nulls.
    v1 = await live_api.create(body)
    task_id = v1.json()["data"]["taskId"]
    await wait_terminal(live_api, task_id)
    answer = (await live_api.record(task_id)).json()
    assert "message" not in answer and answer["data"]["failCode"] is None


async def test_a_failed_v2_task_keeps_its_fail_code(live_api: Any, loopback: Any) -> None:
    body = {"model": "nano-banana-pro",
            "input": {"input_prompt": "p", "input_image_input": [loopback.url("/none.png")]}}
    made = await live_api.client.post("/api/v2/jobs/createTask", json=body,
                                      headers=live_api.auth)
    data = await wait_terminal(live_api, made.json()["data"]["task_id"])
    assert data["state"] == "fail" and data["failCode"] == "422"
    assert data["failMsg"].startswith("input.input_image_input")
