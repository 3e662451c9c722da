"""Spec 002's per-model endpoints (Seedream 4.0, Imagen 4, Ideogram V3 and Character): a flat
body creates an ordinary task of the model; record-info answers spec 002's status shape."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from imagegate.api.model_endpoints import ENDPOINTS

# Spec 002's own bodies where it gives one (Ideogram V3's curl example), else its parameters.
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/bytedance/seedream-v4-text-to-image": {
        "prompt": "a lighthouse at dusk", "image_resolution": "2K", "max_images": 2, "seed": 7,
    },
    "/api/v1/google/imagen-4-ultra": {"prompt": "a red fox in snow", "aspect_ratio": "16:9"},
    "/api/v1/google/imagen-4": {"prompt": "a red fox in snow", "negative_prompt": "blur"},
    "/api/v1/google/imagen-4-fast": {"prompt": "a red fox in snow", "seed": 3},
    "/api/v1/ideogram/v3-text-to-image": {
        "prompt": "modern logo design", "rendering_speed": "QUALITY", "style": "DESIGN",
        "num_images": 2,
    },
    "/api/v1/ideogram/character": {
        "prompt": "the same hero, now on a beach",
        "reference_image_urls": ["https://example.com/hero.png"],
    },
}
EXPECTED_IMAGES = {
    "/api/v1/bytedance/seedream-v4-text-to-image": 2,
    "/api/v1/ideogram/v3-text-to-image": 2,
}


def test_every_endpoint_has_a_body_here() -> None:
    assert {e.path for e in ENDPOINTS} == set(BODIES)


async def wait_status(api: Any, path: str, task_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await api.client.get(
            f"{path}/record-info", params={"taskId": task_id}, headers=api.auth
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if data["status"] in ("completed", "failed"):
            return data
        assert asyncio.get_running_loop().time() < deadline, f"stuck in {data['status']}"
        await asyncio.sleep(0.11)  # under the 10/s query limit


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.model)
async def test_generate_then_record_info_until_completed(live_api: Any, endpoint: Any) -> None:
    body = BODIES[endpoint.path]
    if endpoint.model == "ideogram/character":
        # The worker fetches reference images: serve one from the harness's own uploads.
        body = {**body, "reference_image_urls": [await _own_image_url(live_api)]}
    response = await live_api.client.post(endpoint.path, json=body, headers=live_api.auth)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["code"] == 200 and created["msg"] == "success"
    task_id = created["data"]["taskId"]
    data = await wait_status(live_api, endpoint.path, task_id)
    assert data["status"] == "completed", data
    assert data["progress"] == 100 and data["taskId"] == task_id
    assert data["imageUrl"] == data["imageUrls"][0]
    assert len(data["imageUrls"]) == EXPECTED_IMAGES.get(endpoint.path, 1)
    # An ordinary task: the jobs API shows it, with the flat body as its input.
    record = (await live_api.record(task_id)).json()["data"]
    assert record["model"] == endpoint.model and record["state"] == "success"
    assert json.loads(record["param"])["input"] == body


async def test_a_pending_task_reads_pending(api: Any) -> None:
    path = "/api/v1/google/imagen-4"
    task_id = (await api.client.post(path, json=BODIES[path], headers=api.auth)).json()["data"][
        "taskId"
    ]
    response = await api.client.get(f"{path}/record-info", params={"taskId": task_id},
                                    headers=api.auth)
    data = response.json()["data"]
    assert data["status"] == "pending" and data["imageUrl"] is None and data["progress"] == 0


async def test_callback_url_goes_to_the_task_not_the_input(api: Any) -> None:
    path = "/api/v1/google/imagen-4-fast"
    body = {**BODIES[path], "callBackUrl": "https://example.com/hook"}
    task_id = (await api.client.post(path, json=body, headers=api.auth)).json()["data"]["taskId"]
    task = await api.runtime.store.get_task(task_id, None)
    assert task.callback_url == "https://example.com/hook"
    assert "callBackUrl" not in task.input


async def test_a_bad_field_is_refused_naming_it(api: Any) -> None:
    path = "/api/v1/google/imagen-4"
    response = await api.client.post(
        path, json={**BODIES[path], "aspect_ratio": "7:5"}, headers=api.auth
    )
    assert response.status_code == 422
    assert "aspect_ratio" in response.json()["msg"]


async def test_another_models_task_is_not_found_here(api: Any) -> None:
    seedream = "/api/v1/bytedance/seedream-v4-text-to-image"
    task_id = (await api.client.post(seedream, json=BODIES[seedream], headers=api.auth)).json()[
        "data"
    ]["taskId"]
    response = await api.client.get(
        "/api/v1/google/imagen-4/record-info", params={"taskId": task_id}, headers=api.auth
    )
    assert response.status_code == 404


async def test_spec_002_x_api_key_header_is_accepted(api: Any) -> None:
    path = "/api/v1/ideogram/v3-text-to-image"
    response = await api.client.post(path, json=BODIES[path], headers={"X-API-KEY": api.key})
    assert response.status_code == 200, response.text


async def test_no_key_is_401(api: Any) -> None:
    path = "/api/v1/google/imagen-4"
    response = await api.client.post(path, json=BODIES[path])
    assert response.status_code == 401


async def _own_image_url(api: Any) -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(buffer, "PNG")
    response = await api.client.post(
        "/api/file-base64-upload",
        json={"base64Data": base64.b64encode(buffer.getvalue()).decode(), "uploadPath": "refs"},
        headers=api.auth,
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["data"]["downloadUrl"]
    return url
