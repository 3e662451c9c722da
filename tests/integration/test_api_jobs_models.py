"""One createTask per new model family, through the API on the mock engine (test settings):
accepted, run, and successful with the right number, size and type of result images."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image

from spec_examples import SPEC_002_IDEOGRAM_V3_PARAMETERS, SPEC_002_NANO_BANANA_PRO_REQUEST


async def wait_terminal(api: Any, task_id: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        data = (await api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            return data
        assert asyncio.get_running_loop().time() < deadline, f"task stuck in {data['state']}"
        await asyncio.sleep(0.11)  # stays under the 10/s recordInfo limit


async def results(api: Any, task_id: str) -> list[tuple[str, tuple[int, int]]]:
    data = await wait_terminal(api, task_id)
    assert data["state"] == "success", data
    found = []
    for url in json.loads(data["resultJson"])["resultUrls"]:
        image = await api.client.get(url.removeprefix("http://testserver"))
        assert image.status_code == 200
        found.append(
            (image.headers["content-type"], Image.open(io.BytesIO(image.content)).size)
        )
    return found


CASES = [
    ("google/nano-banana", {"prompt": "a banana", "image_size": "16:9",
                            "output_format": "jpeg"}, [("image/jpeg", (1024, 576))]),
    ("bytedance/seedream-v4-text-to-image",
     {"prompt": "a teapot", "image_size": "landscape_21_9", "image_resolution": "1K",
      "max_images": 3}, [("image/png", (1024, 440))] * 3),
    ("google/imagen4-fast", {"prompt": "a lighthouse", "aspect_ratio": "9:16",
                             "num_images": 2}, [("image/png", (576, 1024))] * 2),
    ("ideogram/v3-text-to-image", json.loads(SPEC_002_IDEOGRAM_V3_PARAMETERS),
     [("image/png", (1024, 1024))] * 2),
    ("qwen/text-to-image", {"prompt": "a fox", "image_size": "portrait_4_3"},
     [("image/png", (768, 1024))]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "raw", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_text_to_image_models_run_on_the_mock_engine(
    live_api: Any, name: str, raw: dict[str, Any], expected: list[Any]
) -> None:
    response = await live_api.create({"model": name, "input": raw})
    assert response.status_code == 200, response.text
    assert await results(live_api, response.json()["data"]["taskId"]) == expected


async def test_nano_banana_edit_fetches_every_image(live_api: Any, loopback: Any) -> None:
    urls = [loopback.serve_image("/a.png", size=(80, 60)), loopback.serve_image("/b.png")]
    body = {"model": "google/nano-banana-edit",
            "input": {"prompt": "blend them", "image_urls": urls, "image_size": "auto"}}
    response = await live_api.create(body)
    assert response.status_code == 200, response.text
    # "auto": the mock engine takes the first input image's size.
    assert await results(live_api, response.json()["data"]["taskId"]) == [
        ("image/png", (80, 60))
    ]


async def test_nano_banana_edit_fails_on_an_unreachable_image(
    live_api: Any, loopback: Any
) -> None:
    urls = [loopback.serve_image("/a.png"), loopback.url("/missing.png")]
    body = {"model": "google/nano-banana-edit", "input": {"prompt": "p", "image_urls": urls}}
    task_id = (await live_api.create(body)).json()["data"]["taskId"]
    data = await wait_terminal(live_api, task_id)
    assert data["state"] == "fail" and data["failCode"] == "422"
    assert data["failMsg"].startswith("input.image_urls")


async def test_ideogram_character_with_a_reference_image(live_api: Any, loopback: Any) -> None:
    body = {"model": "ideogram/character",
            "input": {"prompt": "same woman, new scene", "num_images": "2",
                      "reference_image_urls": [loopback.serve_image("/ref.png")]}}  # fmt: skip
    response = await live_api.create(body)
    assert response.status_code == 200, response.text
    assert await results(live_api, response.json()["data"]["taskId"]) == [
        ("image/png", (1024, 1024))
    ] * 2


async def test_nano_banana_pro_spec_example_through_v2(live_api: Any) -> None:
    response = await live_api.client.post(
        "/api/v2/jobs/createTask",
        json=json.loads(SPEC_002_NANO_BANANA_PRO_REQUEST),
        headers=live_api.auth,
    )
    body = response.json()
    assert response.status_code == 200 and body["message"] == "success", body
    # hd, 1:1 (default), png as the example asks.
    assert await results(live_api, body["data"]["task_id"]) == [("image/png", (1024, 1024))]


async def test_nano_banana_pro_sd_jpg_through_v2(live_api: Any) -> None:
    request = {"model": "nano-banana-pro",
               "input": {"input_prompt": "p", "input_resolution": "sd",
                         "input_aspect_ratio": "16:9", "input_output_format": "jpg"}}  # fmt: skip
    response = await live_api.client.post(
        "/api/v2/jobs/createTask", json=request, headers=live_api.auth
    )
    assert response.status_code == 200, response.text
    task_id = response.json()["data"]["task_id"]
    assert await results(live_api, task_id) == [("image/jpeg", (768, 432))]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "google/nano-banana", "input": {"prompt": "a" * 5001}}, "input.prompt"),
        ({"model": "bytedance/seedream-v4-text-to-image",
          "input": {"prompt": "p", "max_images": 7}}, "input.max_images"),
        ({"model": "google/nano-banana-edit",
          "input": {"prompt": "p", "image_urls": ["https://example.com/a.png"] * 11}},
         "input.image_urls"),
    ],
)  # fmt: skip
async def test_refusals_name_the_field(api: Any, body: dict[str, Any], field: str) -> None:
    response = await api.create(body)
    assert response.status_code == 422
    assert field in response.json()["msg"]
