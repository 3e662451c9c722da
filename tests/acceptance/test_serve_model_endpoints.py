"""`imagegate serve` as a subprocess (mock mode): spec 002's per-model endpoints (Seedream 4.0,
Imagen 4 Ultra/Standard/Fast, Ideogram V3 and Character) from generate to record-info
``completed`` over real HTTP, with spec 002's own X-API-KEY header, and the result files."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

pytestmark = pytest.mark.acceptance

POLL_SPACING = 0.15  # record-info allows 10 requests per second per key

CASES = [
    ("/api/v1/bytedance/seedream-v4-text-to-image",
     {"prompt": "a lighthouse at dusk", "image_size": "landscape_16_9",
      "image_resolution": "1K", "max_images": 2}, 2, (1024, 576)),
    ("/api/v1/google/imagen-4-ultra", {"prompt": "a red fox", "aspect_ratio": "9:16"}, 1,
     (576, 1024)),
    ("/api/v1/google/imagen-4", {"prompt": "a red fox"}, 1, (1024, 1024)),
    ("/api/v1/google/imagen-4-fast", {"prompt": "a red fox", "num_images": 2}, 2, (1024, 1024)),
    # Spec 002's own "With Parameters" example.
    ("/api/v1/ideogram/v3-text-to-image",
     {"prompt": "modern logo design", "rendering_speed": "QUALITY", "style": "DESIGN",
      "num_images": 2}, 2, (1024, 1024)),
]


def key_header(shared: Any) -> dict[str, str]:
    """Spec 002 authenticates with X-API-KEY."""
    bearer = shared.api.auth["Authorization"]
    return {"X-API-KEY": bearer.removeprefix("Bearer ")}


def wait_completed(shared: Any, path: str, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    data: dict[str, Any] = {}
    while time.monotonic() < deadline:
        time.sleep(POLL_SPACING)
        response = shared.api.http.get(
            f"{path}/record-info", params={"taskId": task_id}, headers=key_header(shared)
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        if data["status"] in ("completed", "failed"):
            return data
    raise AssertionError(f"task {task_id} not done after {timeout} s: {data}")


@pytest.mark.parametrize(("path", "body", "count", "size"), CASES, ids=[c[0] for c in CASES])
def test_generate_to_completed(
    shared: Any, path: str, body: dict[str, Any], count: int, size: tuple[int, int]
) -> None:
    response = shared.api.http.post(path, json=body, headers=key_header(shared))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"] == 200 and answer["msg"] == "success"
    task_id = answer["data"]["taskId"]
    data = wait_completed(shared, path, task_id)
    assert data["status"] == "completed" and data["progress"] == 100, data
    assert len(data["imageUrls"]) == count and data["imageUrl"] == data["imageUrls"][0]
    for url in data["imageUrls"]:
        image = httpx.get(url, timeout=15.0)
        assert image.status_code == 200
        assert Image.open(io.BytesIO(image.content)).size == size


def test_character_with_a_reference_image(shared: Any, image_host: Any) -> None:
    path = "/api/v1/ideogram/character"
    body = {"prompt": "the same hero on a beach",
            "reference_image_urls": [image_host.url("/input.png")]}
    response = shared.api.http.post(path, json=body, headers=key_header(shared))
    assert response.status_code == 200, response.text
    data = wait_completed(shared, path, response.json()["data"]["taskId"])
    assert data["status"] == "completed", data
