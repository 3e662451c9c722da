"""The Google, GPT Image, Grok Imagine and Ideogram models of Kie's market pages (issue 19)
through createTask: their rules across fields refused with a 422 naming the field, and what is
special to their results on the mock engine (1K/2K/4K sizes, "jpg", sizes taken from the input
image, every reference fetched)."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image


async def result_images(api: Any, task_id: str) -> list[tuple[str, tuple[int, int]]]:
    """(content type, pixel size) of each result image, once the task has succeeded."""
    deadline = asyncio.get_running_loop().time() + 15.0
    while True:
        data = (await api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            break
        assert asyncio.get_running_loop().time() < deadline, f"task stuck in {data['state']}"
        await asyncio.sleep(0.11)  # under the 10/s recordInfo limit
    assert data["state"] == "success", data
    found = []
    for url in json.loads(data["resultJson"])["resultUrls"]:
        image = await api.client.get(url.removeprefix("http://testserver"))
        assert image.status_code == 200
        found.append((image.headers["content-type"], Image.open(io.BytesIO(image.content)).size))
    return found


@pytest.mark.parametrize(("body", "field", "problem"), [
    ({"model": "nano-banana-2",
      "input": {"prompt": "p", "aspect_ratio": "8:1", "resolution": "4K"}},
     "input.aspect_ratio", "'8:1' is not supported with resolution '4K'"),
    ({"model": "gpt-image-2-text-to-image", "input": {"prompt": "p", "resolution": "2K"}},
     "input.resolution", "'2K' is not supported with aspect_ratio 'auto'"),
    ({"model": "gpt-image-2-text-to-image",
      "input": {"prompt": "p", "aspect_ratio": "16:9", "resolution": "4K",
                "background": "transparent"}},
     "input.background", "'transparent' is not supported with resolution '4K'"),
    ({"model": "gpt-image-2-image-to-image",
      "input": {"prompt": "p", "input_urls": ["https://example.com/a.png"],
                "aspect_ratio": "5:4", "resolution": "2K"}},
     "input.aspect_ratio", "'5:4' is not supported with resolution '2K'"),
    ({"model": "gpt-image-2-text-to-image", "input": {"prompt": ""}},
     "input.prompt", "must be at least 1 character (got 0)"),
])  # fmt: skip
async def test_the_pages_rules_are_422s_naming_the_field(
    api: Any, body: dict[str, Any], field: str, problem: str
) -> None:
    response = await api.create(body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == 422
    assert response.json()["msg"] == f"{field}: {problem}"


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("nano-banana-2", {"prompt": "p", "aspect_ratio": "16:9", "resolution": "2K"},
     [("image/jpeg", (2048, 1152))]),  # jpg, the page's default format
    ("nano-banana-2", {"prompt": "p", "aspect_ratio": "1:8", "output_format": "png"},
     [("image/png", (128, 1024))]),
    ("gpt-image-2-text-to-image", {"prompt": "p", "aspect_ratio": "2:3", "resolution": "4K"},
     [("image/png", (2720, 4096))]),
    ("grok-imagine/text-to-image", {"prompt": "p", "enable_pro": True},
     [("image/png", (1024, 1024))]),  # the described default, 1:1
    ("ideogram/v3-remix", {"prompt": "p", "image_url": "{image}", "num_images": 3,
                           "image_size": "portrait_16_9"}, [("image/png", (576, 1024))] * 3),
])  # fmt: skip
async def test_sizes_formats_and_counts_on_the_mock_engine(
    live_api: Any, loopback: Any, name: str, raw: dict[str, Any], expected: list[Any]
) -> None:
    image = loopback.serve_image("/source.png", size=(90, 60))
    body = {"model": name, "input": {k: image if v == "{image}" else v for k, v in raw.items()}}
    response = await live_api.create(body)
    assert response.status_code == 200, response.text
    assert await result_images(live_api, response.json()["data"]["taskId"]) == expected


async def edit_task(api: Any, loopback: Any, name: str, missing: str = "") -> str:
    """A createTask of ``name`` (an edit with a mask) whose images the loopback peer serves,
    all but ``missing``; its task id."""
    paths = {"image_url": "/image.png", "mask_url": "/mask.png", "reference": "/ref.png"}
    for field, path in paths.items():
        if field != missing:
            loopback.serve_image(path, size=(120, 80))
    fields: dict[str, Any] = {"image_url": loopback.url("/image.png"),
                              "mask_url": loopback.url("/mask.png")}
    if name == "ideogram/character-edit":
        fields["reference_image_urls"] = [loopback.url("/ref.png")]
    response = await api.create({"model": name, "input": {"prompt": "p", **fields}})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["taskId"])


@pytest.mark.parametrize("name", ["ideogram/v3-edit", "ideogram/character-edit"])
async def test_edits_keep_the_input_images_size(live_api: Any, loopback: Any, name: str) -> None:
    task_id = await edit_task(live_api, loopback, name)
    assert await result_images(live_api, task_id) == [("image/png", (120, 80))]


@pytest.mark.parametrize(("name", "missing", "field"), [
    ("ideogram/v3-edit", "mask_url", "input.mask_url"),
    ("ideogram/character-edit", "mask_url", "input.mask_url"),
    ("ideogram/character-edit", "reference", "input.reference_image_urls"),
])  # fmt: skip
async def test_edits_fetch_their_mask_and_references(
    live_api: Any, loopback: Any, name: str, missing: str, field: str
) -> None:
    task_id = await edit_task(live_api, loopback, name, missing=missing)
    deadline = asyncio.get_running_loop().time() + 15.0
    while (data := (await live_api.record(task_id)).json()["data"])["state"] != "fail":
        assert data["state"] != "success", "a missing image went unnoticed"
        assert asyncio.get_running_loop().time() < deadline, f"task stuck in {data['state']}"
        await asyncio.sleep(0.11)
    assert data["failMsg"].startswith(field), data


async def test_grok_image_to_image_takes_five_references_and_refuses_six(
    live_api: Any, loopback: Any
) -> None:
    urls = [loopback.serve_image(f"/{i}.png", size=(40 + i, 30)) for i in range(6)]
    refused = await live_api.create(
        {"model": "grok-imagine/image-to-image", "input": {"image_urls": urls}}
    )
    assert refused.status_code == 422
    assert refused.json()["msg"] == "input.image_urls: must hold at most 5 URLs (got 6)"
    response = await live_api.create(
        {"model": "grok-imagine/image-to-image", "input": {"image_urls": urls[:5]}}
    )
    assert response.status_code == 200, response.text
    # No size field: the first reference's size.
    assert await result_images(live_api, response.json()["data"]["taskId"]) == [
        ("image/png", (40, 30))
    ]
