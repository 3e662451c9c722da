"""`imagegate serve` without --mock, driven the way an Ideogram client drives Ideogram:
``POST /v1/ideogram-v3/reframe`` over real HTTP answers the reframed photograph synchronously,
and the request is an ordinary ideogram/v3-reframe task of the account."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from skimage import data

from photos import assert_source_kept, photo_file

pytestmark = pytest.mark.acceptance


def test_serve_answers_ideogram_v3_reframe_on_the_classic_engine(
    servers: Any, make_api: Any
) -> None:
    server = servers.start(env={"IMAGEGATE_MOCK": "0"})
    key = server.printed_key()
    assert key, server.output()
    photo = photo_file(data.astronaut(), "JPEG", quality=92)
    api = make_api(server, key)
    try:
        before = api.balance()
        response = httpx.post(
            f"{server.base_url}/v1/ideogram-v3/reframe",
            headers={"Api-Key": key},
            data={"resolution": "1312x736", "rendering_speed": "FLASH", "seed": "3"},
            files={"image": ("astronaut.jpg", photo, "image/jpeg")},
            timeout=120.0,
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert set(answer) == {"created", "data"}
        [item] = answer["data"]
        assert item["resolution"] == "1312x736" and item["seed"] == 3
        assert item["is_image_safe"] is True and item["upscaled_resolution"] is None
        assert item["url"].startswith(f"{server.base_url}/files/results/")
        image = httpx.get(item["url"], timeout=15.0)

        record = api.record_data(response.headers["X-Imagegate-Task-Id"])
        assert record["model"] == "ideogram/v3-reframe" and record["state"] == "success"
        assert api.balance() == before - 3.5

        refused = httpx.post(
            f"{server.base_url}/v1/ideogram-v3/reframe",
            headers={"Api-Key": "ig_wrong"},
            data={"resolution": "1312x736"},
            files={"image": ("astronaut.jpg", photo, "image/jpeg")},
            timeout=15.0,
        )
        assert refused.status_code == 401 and set(refused.json()) == {"error"}
    finally:
        api.close()
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    decoded = Image.open(io.BytesIO(image.content))
    assert decoded.size == (1312, 736)
    assert decoded.info.get("Software") == "imagegate classic reframe engine"
    assert_source_kept(image.content, photo, (1312, 736))
