"""`imagegate serve` as a subprocess (mock mode): Kie's GPT-4o Image and Flux Kontext endpoints
from generate to record-info success over real HTTP, with a callback and the result files."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import httpx
import pytest
from PIL import Image

pytestmark = pytest.mark.acceptance

POLL_SPACING = 0.15  # record-info allows 10 requests per second per key


def generate(shared: Any, path: str, body: dict[str, Any]) -> str:
    response = shared.api.http.post(path, json=body, headers=shared.api.auth)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"] == 200 and answer["msg"] == "success", answer
    assert set(answer["data"]) == {"taskId"}, answer
    return str(answer["data"]["taskId"])


def wait_done(shared: Any, path: str, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    data: dict[str, Any] = {}
    while time.monotonic() < deadline:
        time.sleep(POLL_SPACING)
        response = shared.api.http.get(path, params={"taskId": task_id},
                                       headers=shared.api.auth)
        assert response.status_code == 200, response.text
        assert response.json()["code"] == 200
        data = response.json()["data"]
        if data["successFlag"] != 0:
            return data
    raise AssertionError(f"task {task_id} still generating after {timeout} s: {data}")


def download(url: str) -> tuple[str, tuple[int, int]]:
    response = httpx.get(url, timeout=15.0)
    assert response.status_code == 200, (url, response.text[:200])
    return response.headers["content-type"], Image.open(io.BytesIO(response.content)).size


def test_gpt4o_image_generate_to_success(shared: Any, image_host: Any) -> None:
    before = shared.api.balance()
    body = {
        "prompt": "A beautiful sunset over the mountains",
        "size": "2:3",
        "nVariants": 2,
        "filesUrl": [image_host.url("/input.png")],
        "callBackUrl": image_host.url("/gpt4o-cb"),
        "isEnhance": False,
        "enableFallback": False,
    }
    task_id = generate(shared, "/api/v1/gpt4o-image/generate", body)
    assert shared.api.balance() == before - 12
    data = wait_done(shared, "/api/v1/gpt4o-image/record-info", task_id)
    assert data["status"] == "SUCCESS" and data["successFlag"] == 1, data
    assert data["progress"] == "1.00"
    assert json.loads(data["paramJson"]) == body
    assert data["errorCode"] is None and data["errorMessage"] is None
    urls = data["response"]["resultUrls"]
    assert len(urls) == 2
    for url in urls:
        assert download(url) == ("image/png", (680, 1024))
    (post,) = image_host.wait_for_posts("/gpt4o-cb", 1)
    callback = post.json()
    # Kie's GPT-4o Image callback: the same links as the record's.
    assert callback == {"code": 200, "msg": "success",
                        "data": {"taskId": task_id, "info": {"result_urls": urls}}}


def test_flux_kontext_generate_to_success(shared: Any) -> None:
    before = shared.api.balance()
    body = {
        "prompt": "A serene mountain landscape at sunset with a lake reflecting the orange sky",
        "aspectRatio": "4:3",
        "outputFormat": "jpeg",
        "promptUpsampling": False,
        "model": "flux-kontext-max",
        "safetyTolerance": 2,
    }
    task_id = generate(shared, "/api/v1/flux/kontext/generate", body)
    assert shared.api.balance() == before - 10
    data = wait_done(shared, "/api/v1/flux/kontext/record-info", task_id)
    assert data["successFlag"] == 1, data
    assert json.loads(data["paramJson"]) == body
    assert data["completeTime"] >= data["createTime"]
    assert download(data["response"]["resultImageUrl"]) == ("image/jpeg", (1024, 768))


def test_flux_kontext_edit_mode_limit_and_cross_endpoint_404(shared: Any) -> None:
    refused = shared.api.http.post(
        "/api/v1/flux/kontext/generate",
        json={"prompt": "x", "inputImage": "https://example.com/a.png", "safetyTolerance": 3},
        headers=shared.api.auth,
    )
    assert refused.status_code == 422 and refused.json()["msg"].startswith("safetyTolerance:")
    gpt = generate(shared, "/api/v1/gpt4o-image/generate", {"prompt": "x"})
    missing = shared.api.http.get("/api/v1/flux/kontext/record-info", params={"taskId": gpt},
                                  headers=shared.api.auth)
    assert missing.status_code == 404 and missing.json()["code"] == 404
