"""`imagegate serve` without --mock, driven with spec 003's own request (Ideogram's legacy
``POST /reframe``, ``RESOLUTION_1024_1024``): the reframed photograph comes back synchronously
and is an ordinary ideogram/v3-reframe task of the account."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from skimage import data

from photos import assert_source_kept, photo_file

pytestmark = pytest.mark.acceptance


def test_serve_answers_the_legacy_reframe_of_spec_003(servers: Any, make_api: Any) -> None:
    server = servers.start(env={"IMAGEGATE_MOCK": "0"})
    key = server.printed_key()
    assert key, server.output()
    photo = photo_file(data.coffee(), "PNG")  # 600 x 400: bands above and below on a square
    api = make_api(server, key)
    try:
        before = api.balance()
        response = httpx.post(
            f"{server.base_url}/reframe",
            headers={"Api-Key": key},
            # Spec 003's example: resolution and model (V_2_TURBO: the classic engine's TURBO).
            data={"resolution": "RESOLUTION_1024_1024", "model": "V_2_TURBO", "seed": "12345"},
            files={"image_file": ("coffee.png", photo, "image/png")},
            timeout=120.0,
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert set(answer) == {"created", "data"}
        [item] = answer["data"]
        assert item["resolution"] == "1024x1024" and item["seed"] == 12345
        image = httpx.get(item["url"], timeout=15.0)
        record = api.record_data(response.headers["X-Imagegate-Task-Id"])
        assert record["model"] == "ideogram/v3-reframe" and record["state"] == "success"
        assert api.balance() == before - 3.5  # TURBO's price
    finally:
        api.close()
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)
    assert_source_kept(image.content, photo, (1024, 1024))
