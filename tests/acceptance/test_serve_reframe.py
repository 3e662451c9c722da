"""`imagegate serve` without --mock: ideogram/v3-reframe runs on the classic engine in its
engine process, and a photograph comes back reframed, not as a mock image."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image
from skimage import data

from photos import assert_source_kept, photo_file

pytestmark = pytest.mark.acceptance


def test_serve_reframes_a_photograph_on_the_classic_engine(
    servers: Any, receiver_factory: Any, make_api: Any
) -> None:
    server = servers.start(env={"IMAGEGATE_MOCK": "0"})
    output = server.output()
    assert "route:    ideogram/v3-reframe -> classic" in output, output
    assert "every model runs on the MOCK" not in output
    # The models without a real engine yet are still said to run on the mock: counted, as
    # `imagegate routes` lists them, and not one of them is listed as a route of its own.
    note = next(line for line in output.splitlines() if "models run on the MOCK engine" in line)
    assert int(note.split()[1]) >= 50, note
    assert "other models -> mock (`imagegate routes` lists them)" in output, output
    routes = [line for line in output.splitlines() if line.startswith("  route:")]
    assert not [line for line in routes if "qwen/image-edit" in line], routes
    key = server.printed_key()
    assert key, output

    photo = photo_file(data.astronaut(), "JPEG", quality=92)
    host = receiver_factory()
    host.responses["/astronaut.jpg"] = (200, "image/jpeg", photo)
    api = make_api(server, key)
    try:
        task_id = api.create_ok({
            "model": "ideogram/v3-reframe",
            "input": {"image_url": host.url("/astronaut.jpg"), "image_size": "landscape_16_9",
                      "rendering_speed": "TURBO", "seed": 3},
        })
        record = api.wait_state(task_id, timeout=60)
        assert record["state"] == "success", record
        [url] = json.loads(record["resultJson"])["resultUrls"]
        response = httpx.get(url, timeout=15.0)
    finally:
        api.close()
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1024, 576)
    assert image.info.get("Software") == "imagegate classic reframe engine"
    assert "MOCK" not in image.info.get("Comment", "").upper()
    assert_source_kept(response.content, photo, (1024, 576))
