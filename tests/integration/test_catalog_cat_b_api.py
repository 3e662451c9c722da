"""The group-B market models through ``POST /api/v1/jobs/createTask`` as a Kie client sends
them, on the mock engine: the rules between fields answer 422 naming the field, the image count
that depends on the mode is what comes back and what is charged, and image-to-image models
fetch their inputs from a real server on loopback."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image


async def wait_terminal(api: Any, task_id: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await api.record(task_id)
        # A 429 now and then is the recordInfo limit (10/s) met across several tasks' polls.
        assert answer.status_code in (200, 429), answer.text
        data = answer.json()["data"] if answer.status_code == 200 else None
        if data is not None and data["state"] in ("success", "fail"):
            return dict(data)
        assert asyncio.get_running_loop().time() < deadline, f"task stuck: {data}"
        await asyncio.sleep(0.12)


async def result_sizes(api: Any, response: Any) -> list[tuple[str, tuple[int, int]]]:
    assert response.status_code == 200, response.text
    data = await wait_terminal(api, response.json()["data"]["taskId"])
    assert data["state"] == "success", data
    found = []
    for url in json.loads(data["resultJson"])["resultUrls"]:
        image = await api.client.get(url.removeprefix("http://testserver"))
        assert image.status_code == 200
        found.append((image.headers["content-type"], Image.open(io.BytesIO(image.content)).size))
    return found


async def balance(api: Any) -> float:
    body = (await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()
    return float(body["data"])


@pytest.mark.parametrize(
    ("model", "raw", "field"),
    [
        ("wan/2-7-image", {"prompt": "noodles", "n": 6}, "input.n"),
        ("wan/2-7-image-pro", {"prompt": "noodles", "resolution": "4K",
                               "enable_sequential": True}, "input.resolution"),
        ("wan/2-7-image", {"prompt": "noodles",
                           "color_palette": [{"hex": "white", "ratio": "10.00%"}] * 3},
         "input.color_palette[0].hex"),
        ("qwen2-1/text-to-image", {"prompt": "a bottle", "background": "transparent",
                                   "output_format": "jpeg"}, "input.output_format"),
        ("seedream/5-pro-text-to-image", {"prompt": "ab", "aspect_ratio": "1:1",
                                          "quality": "basic"}, "input.prompt"),
        ("flux-2/flex-text-to-image", {"prompt": "a poster", "aspect_ratio": "auto",
                                       "resolution": "1K"}, "input.aspect_ratio"),
    ],
)  # fmt: skip
async def test_a_rule_between_fields_is_a_422_naming_the_field(
    api: Any, model: str, raw: dict[str, Any], field: str
) -> None:
    before = await balance(api)
    response = await api.create({"model": model, "input": raw})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == 422
    assert response.json()["msg"].startswith(f"{field}:")
    assert await balance(api) == before  # nothing charged


async def test_wan_sequential_group_makes_and_charges_twelve_images(live_api: Any) -> None:
    before = await balance(live_api)
    body = {
        "model": "wan/2-7-image",
        "callBackUrl": "https://your-domain.com/api/callback",
        "input": {"prompt": "a comic strip", "enable_sequential": True, "resolution": "1K",
                  "aspect_ratio": "16:9"},
    }  # fmt: skip
    sizes = await result_sizes(live_api, await live_api.create(body))
    assert sizes == [("image/png", (1024, 576))] * 12
    assert before - await balance(live_api) == pytest.approx(12 * 4.8)


async def test_wan_standard_mode_defaults_to_four_images(live_api: Any) -> None:
    body = {"model": "wan/2-7-image-pro", "input": {"prompt": "a bowl", "resolution": "1K"}}
    # No aspect_ratio and no input image: the mock engine's own 1024x1024.
    assert await result_sizes(live_api, await live_api.create(body)) == [
        ("image/png", (1024, 1024))
    ] * 4


async def test_seedream_5_lite_edit_fetches_its_images_and_sizes_by_quality(
    live_api: Any, loopback: Any
) -> None:
    urls = [loopback.serve_image("/a.png"), loopback.serve_image("/b.jpg", fmt="JPEG")]
    body = {
        "model": "seedream/5-lite-image-to-image",
        "input": {"prompt": "blend the two", "image_urls": urls, "aspect_ratio": "4:3",
                  "quality": "basic", "output_format": "jpeg"},
    }  # fmt: skip
    assert await result_sizes(live_api, await live_api.create(body)) == [
        ("image/jpeg", (2048, 1536))
    ]


async def test_flux2_image_to_image_auto_ratio_follows_the_first_input(
    live_api: Any, loopback: Any
) -> None:
    url = loopback.serve_image("/first.png", size=(96, 64))
    body = {
        "model": "flux-2/pro-image-to-image",
        "input": {"input_urls": [url], "prompt": "make it night", "aspect_ratio": "auto",
                  "resolution": "2K"},
    }  # fmt: skip
    assert await result_sizes(live_api, await live_api.create(body)) == [("image/png", (96, 64))]


async def test_qwen21_webp_transparent_output(live_api: Any) -> None:
    body = {
        "model": "qwen2-1/text-to-image",
        "input": {"prompt": "a glass bottle", "background": "transparent",
                  "output_format": "webp", "resolution": "2K", "aspect_ratio": "9:21"},
    }  # fmt: skip
    assert await result_sizes(live_api, await live_api.create(body)) == [
        ("image/webp", (880, 2048))
    ]


@pytest.mark.usefixtures("one_torch_thread")
async def test_market_text_models_run_on_a_tiny_flux_pipeline(
    harness_opener: Any, runtime_factory: Any, tmp_path: Any
) -> None:
    """The diffusers engine serves the plain text-to-image market models: a real (tiny) FLUX
    pipeline on the CPU generates at 64 pixels and the result has the size the tier asks."""
    pytest.importorskip("torch", reason="the diffusers engine's tests need torch")
    pytest.importorskip("diffusers", reason="the diffusers engine's tests need diffusers")
    import diffusers_tiny as tiny

    weights = tiny.save_flux(tmp_path / "flux")
    models = ["seedream/5-pro-text-to-image", "z-image", "qwen3/pro-text-to-image"]
    engines = {"diffusers": {"device": "cpu", "pipelines": {"text": {
        "pipeline": "FluxPipeline", "weights": str(weights), "models": models,
        "max_long_side": 64, "steps": 2}}}}  # fmt: skip
    routes = {name: ["diffusers"] for name in models}
    runtime = runtime_factory(mock=False, engines=engines, routes=routes)
    api, client = await harness_opener(runtime, start=True)
    async with client:
        asks = [
            ("seedream/5-pro-text-to-image", {"prompt": "a red kite", "aspect_ratio": "16:9",
                                              "quality": "high", "output_format": "jpeg"},
             [("image/jpeg", (2048, 1152))]),
            ("z-image", {"prompt": "a red kite", "aspect_ratio": "3:4"},
             [("image/png", (768, 1024))]),
            ("qwen3/pro-text-to-image", {"prompt": "a red kite", "image_size": "1:1"},
             [("image/png", (1024, 1024))]),
        ]  # fmt: skip
        for name, raw, expected in asks:
            response = await api.create({"model": name, "input": raw})
            assert await result_sizes(api, response) == expected, name
            task = await api.runtime.store.get_task(response.json()["data"]["taskId"])
            assert task.engine == "diffusers"
    await api.runtime.stop()
