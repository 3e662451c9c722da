"""The upscalers and background removal through createTask, with their source image served by
a real HTTP server on loopback: on the mock engine (test settings) the result is the source's
size times the model's scale, and on the classic engine it is a real upscale of the photograph,
not a mock image."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from imagegate.engines.mock import MOCK_NOTICE
from imagegate.tasks.state import TaskState

from photos import photo_file, pixels


async def wait_terminal(api: Any, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = (await api.record(task_id)).json()["data"]
        if found["state"] in ("success", "fail"):
            return dict(found)
        assert asyncio.get_running_loop().time() < deadline, f"task stuck in {found['state']}"
        await asyncio.sleep(0.11)  # stays under the 10/s recordInfo limit


async def result_files(api: Any, record: dict[str, Any]) -> list[tuple[str, bytes]]:
    assert record["state"] == "success", record
    files = []
    for url in json.loads(record["resultJson"])["resultUrls"]:
        response = await api.client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200
        files.append((response.headers["content-type"], response.content))
    return files


CASES = [
    ("nano-banana-upscale", "image", {"scale": 3, "face_enhance": True}, 3),
    ("nano-banana-upscale", "image", {}, 2),  # the page's default scale
    ("topaz/image-upscale", "image_url", {"upscale_factor": "4"}, 4),
    ("topaz/image-upscale", "image_url", {"upscale_factor": "1"}, 1),
    ("recraft/crisp-upscale", "image", {}, 2),  # imagegate's reading: 2x
    ("recraft/remove-background", "image", {}, 1),  # the source's size
]


@pytest.mark.parametrize(
    ("model", "field", "params", "scale"), CASES, ids=[f"{c[0]}-{c[3]}x" for c in CASES]
)
async def test_the_mock_engine_makes_the_source_size_times_the_scale(
    live_api: Any, loopback: Any, model: str, field: str, params: dict[str, Any], scale: int
) -> None:
    url = loopback.serve_image("/in.png", size=(90, 60))
    response = await live_api.create({"model": model, "input": {field: url, **params}})
    assert response.status_code == 200, response.text
    record = await wait_terminal(live_api, response.json()["data"]["taskId"])
    [(content_type, blob)] = await result_files(live_api, record)
    picture = Image.open(io.BytesIO(blob))
    assert content_type == "image/png"
    assert picture.size == (90 * scale, 60 * scale)
    assert picture.info["Comment"] == MOCK_NOTICE


async def test_topaz_past_its_20000_pixel_side_fails_naming_the_factor(
    live_api: Any, loopback: Any
) -> None:
    # 2600 x 8 = 20,800 pixels: more than Topaz's page allows on a side.
    url = loopback.serve_image("/wide.png", size=(2600, 8))
    body = {"model": "topaz/image-upscale",
            "input": {"image_url": url, "upscale_factor": "8"}}
    response = await live_api.create(body)
    assert response.status_code == 200, response.text
    record = await wait_terminal(live_api, response.json()["data"]["taskId"])
    assert record["state"] == "fail" and record["failCode"] == "422", record
    assert record["failMsg"].startswith("input.upscale_factor: the 2600x8 source x8 makes")
    assert "20000 pixels a side" in record["failMsg"]


async def test_the_classic_engine_upscales_a_photograph(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    source = data.chelsea()[::2, ::2]  # 226 x 150
    photo = photo_file(source)
    loopback.responses["/chelsea.png"] = (200, "image/png", photo)
    harness, client = await harness_opener(runtime_factory(mock=False), start=True)
    async with client:
        body = {"model": "nano-banana-upscale",
                "input": {"image": loopback.url("/chelsea.png"), "scale": 3}}
        response = await harness.create(body)
        assert response.status_code == 200, response.text
        task_id = response.json()["data"]["taskId"]
        record = await wait_terminal(harness, task_id)
        task = await harness.runtime.store.get_task(task_id)
        assert task.state is TaskState.SUCCESS and task.engine == "classic"
        [(content_type, blob)] = await result_files(harness, record)
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()

    assert content_type == "image/png"
    picture = Image.open(io.BytesIO(blob))
    assert picture.size == (226 * 3, 150 * 3)
    # Not a mock image: made by the classic engine, and it is the photograph itself, enlarged
    # (shrunk back, it matches the source within a few levels; a mock frame would not).
    assert picture.info["Comment"] != MOCK_NOTICE
    assert picture.info["Software"] == "imagegate classic upscale engine"
    back = cv2.resize(pixels(blob), (226, 150), interpolation=cv2.INTER_AREA)
    assert np.abs(back.astype(int) - source.astype(int)).mean() < 4.0
