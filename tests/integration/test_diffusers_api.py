"""The diffusers engine through the API and the worker, on tiny real FLUX pipelines loaded
from disk and run on the CPU at 64x64: text to image, Flux Kontext (edit and text), reframe
by outpainting, batching, seeds, out-of-memory failover and missing weights."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="the diffusers engine's tests need torch (the test extra)")
pytest.importorskip("diffusers", reason="the diffusers engine's tests need diffusers")

from PIL import Image

import diffusers_tiny as tiny
from photos import assert_source_kept, photo_file

# One torch thread in this process (tests/conftest.py says why).
pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT_MODEL = "qwen/text-to-image"
KONTEXT = "/api/v1/flux/kontext/generate"


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("weights")
    tiny.save_flux(root / "flux")
    tiny.save_flux_fill(root / "flux-fill")
    return root


def engine_table(weights: Path, **text_changes: Any) -> dict[str, Any]:
    common = {"max_long_side": 64, "steps": 2}
    return {
        "device": "cpu",
        "batch_size": 4,
        # Long enough for tasks created one after another to meet in a batch on a busy CI box.
        "batch_window_ms": 400,
        "pipelines": {
            "kontext": {"pipeline": "FluxKontextPipeline", "weights": str(weights / "flux"),
                        "models": ["flux-kontext-pro", "flux-kontext-max"],
                        "kontext_preferred_resolutions": False, **common},
            "text": {"pipeline": "FluxPipeline", "weights": str(weights / "flux"),
                     "models": [TEXT_MODEL, "google/imagen4"], **common, **text_changes},
            "fill": {"pipeline": "FluxFillPipeline", "weights": str(weights / "flux-fill"),
                     "models": ["ideogram/v3-reframe"], **common},
        },
    }


ROUTES = {model: ["diffusers"] for model in
          (TEXT_MODEL, "google/imagen4", "flux-kontext-pro", "flux-kontext-max",
           "ideogram/v3-reframe")}


async def wait_terminal(api: Any, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await api.record(task_id)
        found = answer.json()["data"] if answer.status_code == 200 else None
        if found is not None and found["state"] in ("success", "fail"):
            return dict(found)
        assert asyncio.get_running_loop().time() < deadline, f"task stuck: {found}"
        await asyncio.sleep(0.11)  # stays under the 10/s recordInfo limit


async def results(api: Any, record: dict[str, Any]) -> list[bytes]:
    assert record["state"] == "success", record
    files = []
    for url in json.loads(record["resultJson"])["resultUrls"]:
        response = await api.client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200
        files.append(response.content)
    return files


async def create(api: Any, model: str, **fields: Any) -> str:
    response = await api.create({"model": model, "input": fields})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["taskId"])


def engine_of(api: Any) -> Any:
    return api.runtime.engines.get("diffusers")


async def open_live(harness_opener: Any, runtime_factory: Any, **overrides: Any) -> Any:
    runtime = runtime_factory(mock=False, **overrides)
    harness, client = await harness_opener(runtime, start=True)
    return harness, client


async def close_live(harness: Any) -> None:
    await harness.runtime.stop()


async def test_text_to_image_batches_compatible_tasks_and_honours_seeds(
    harness_opener: Any, runtime_factory: Any, weights: Path
) -> None:
    api, client = await open_live(harness_opener, runtime_factory, routes=ROUTES,
                                  engines={"diffusers": engine_table(weights)})
    async with client:
        base = {"image_size": "square", "num_inference_steps": 2}
        fox = await create(api, TEXT_MODEL, prompt="a fox", seed=5, **base)
        cat = await create(api, TEXT_MODEL, prompt="a cat", seed=6, negative_prompt="x", **base)
        longer = await create(api, TEXT_MODEL, prompt="a fox", seed=5, image_size="square",
                              num_inference_steps=3)
        records = [await wait_terminal(api, task) for task in (fox, cat, longer)]
        batched = [await results(api, record) for record in records]
        calls = list(engine_of(api).device.calls)
        # Same size, steps and guidance: one forward pass for two tasks, each with its
        # prompt and seed; 3 steps is another pass.
        assert [(c.prompts, c.seeds, c.call["num_inference_steps"]) for c in calls] == [
            (("a fox", "a cat"), (5, 6), 2), (("a fox",), (5,), 3)]
        assert calls[0].call["guidance_scale"] == 2.5  # the model's default guidance_scale
        assert calls[0].call["width"] == calls[0].call["height"] == 64  # max_long_side
        for record in records:
            task = await api.runtime.store.get_task(record["taskId"])
            assert task.engine == "diffusers" and record["progress"] == 100
        assert Image.open(io.BytesIO(batched[0][0])).size == (512, 512)  # the preset's size
        assert batched[0][0] != batched[1][0]

        # Alone, one after the other: the same seed gives the same bytes, another seed not.
        again = await create(api, TEXT_MODEL, prompt="a fox", seed=5, image_size="square",
                             num_inference_steps=3)
        other = await create(api, TEXT_MODEL, prompt="a fox", seed=7, image_size="square",
                             num_inference_steps=3)
        assert await results(api, await wait_terminal(api, again)) == batched[2]
        assert await results(api, await wait_terminal(api, other)) != batched[2]
    await close_live(api)


async def test_flux_kontext_edits_with_an_input_image_and_generates_without(
    harness_opener: Any, runtime_factory: Any, weights: Path, loopback: Any
) -> None:
    loopback.responses["/source.png"] = (200, "image/png", photo_file(fmt="PNG"))
    api, client = await open_live(harness_opener, runtime_factory, routes=ROUTES,
                                  engines={"diffusers": engine_table(weights)})
    async with client:
        edit = {"model": "flux-kontext-max", "prompt": "make it blue", "aspectRatio": "1:1",
                "inputImage": loopback.url("/source.png")}
        text = {"prompt": "a lighthouse", "aspectRatio": "16:9", "outputFormat": "jpeg"}
        ids = []
        for body in (edit, text):
            answer = await client.post(KONTEXT, json=body, headers=api.auth)
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["data"]["taskId"])
        sizes = []
        for task_id in ids:
            record = await wait_terminal(api, task_id)
            sizes.append([(Image.open(io.BytesIO(blob)).format, Image.open(io.BytesIO(blob)).size)
                          for blob in await results(api, record)])
        assert sizes == [[("PNG", (1024, 1024))], [("JPEG", (1024, 576))]]
        calls = {call.prompts: call for call in engine_of(api).device.calls}
        edited, generated = calls[("make it blue",)], calls[("a lighthouse",)]
        assert edited.images == 1 and generated.images == 0
        assert edited.call["max_area"] == 64 * 64 and generated.call["width"] == 64
        assert generated.call["height"] == 32 and edited.call["guidance_scale"] == 3.5
    await close_live(api)


async def test_reframe_outpaints_and_keeps_the_source_pixel_exact(
    harness_opener: Any, runtime_factory: Any, weights: Path, loopback: Any
) -> None:
    photo = photo_file(fmt="PNG")  # 600x400: bands above and below on a square canvas
    loopback.responses["/coffee.png"] = (200, "image/png", photo)
    api, client = await open_live(harness_opener, runtime_factory, routes=ROUTES,
                                  engines={"diffusers": engine_table(weights)})
    async with client:
        task_id = await create(api, "ideogram/v3-reframe", image_url=loopback.url("/coffee.png"),
                               image_size="square", num_images="2", seed=3)
        outputs = await results(api, await wait_terminal(api, task_id))
        assert len(outputs) == 2 and outputs[0] != outputs[1]
        for output in outputs:
            assert_source_kept(output, photo, (512, 512))
        (call,) = engine_of(api).device.calls
        assert call.images == 2 and call.seeds == (3, 4)
    await close_live(api)


async def test_out_of_memory_fails_over_to_the_next_engine_and_the_worker_goes_on(
    harness_opener: Any, runtime_factory: Any, weights: Path
) -> None:
    table = engine_table(weights, simulate_out_of_memory=True)
    api, client = await open_live(harness_opener, runtime_factory,
                                  routes={TEXT_MODEL: ["diffusers", "mock"]},
                                  engines={"diffusers": table})
    async with client:
        for seed in (1, 2):
            task_id = await create(api, TEXT_MODEL, prompt="a fox", seed=seed,
                                   image_size="square", num_inference_steps=2)
            record = await wait_terminal(api, task_id)
            assert record["state"] == "success", record
            assert (await api.runtime.store.get_task(task_id)).engine == "mock"
        assert len(engine_of(api).device.calls) == 2  # the diffusers engine ran both times
        assert api.runtime.router.breakers()["diffusers"].failures == 2
    await close_live(api)


async def test_missing_weights_stop_the_worker_start_naming_the_path(
    runtime_factory: Any, weights: Path, tmp_path: Path
) -> None:
    table = engine_table(weights)
    table["pipelines"]["text"]["weights"] = str(tmp_path / "nowhere")
    runtime = runtime_factory(mock=False, routes=ROUTES, engines={"diffusers": table})
    with pytest.raises(ValueError, match=f"{tmp_path / 'nowhere'} does not exist"):
        await runtime.start()
    await runtime.stop()

    # A pipeline directory without one of its components: the component's path.
    broken = tmp_path / "broken"
    shutil.copytree(weights / "flux", broken)
    shutil.rmtree(broken / "vae")
    table["pipelines"]["text"]["weights"] = str(broken)
    runtime = runtime_factory(mock=False, routes=ROUTES, engines={"diffusers": table})
    with pytest.raises(ValueError, match=f"component 'vae' is missing: {broken / 'vae'}"):
        await runtime.start()
    await runtime.stop()


async def test_an_api_process_without_a_worker_needs_no_weights(
    runtime_factory: Any, weights: Path, tmp_path: Path
) -> None:
    table = engine_table(weights)
    table["pipelines"]["text"]["weights"] = str(tmp_path / "nowhere")
    runtime = runtime_factory(mock=False, routes=ROUTES, engines={"diffusers": table},
                              worker_concurrency=0)
    await runtime.start()
    assert runtime.router.can_serve(TEXT_MODEL)
    await runtime.stop()
