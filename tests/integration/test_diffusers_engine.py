"""The diffusers engine on its own (no API): qwen/image-edit on a tiny Qwen-Image-Edit pipeline
loaded from disk, progress per step, and a cancel that stops the pipeline between steps.

Qwen-Image-Edit is tested here rather than through the API: its processor loads a video
processor that needs torchvision, which has no CPU build, so the tiny pipeline is loaded with
an image-only processor in its place (diffusers_tiny.ImageOnlyQwen2VLProcessor)."""

from __future__ import annotations

import asyncio
import functools
import io
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="the diffusers engine's tests need torch (the test extra)")
pytest.importorskip("diffusers", reason="the diffusers engine's tests need diffusers")

from PIL import Image

from imagegate.catalog import get_model
from imagegate.engines.base import EngineJob, SourceImage
from imagegate.engines.diffusers.config import parse_diffusers
from imagegate.engines.diffusers.device import load_pipeline
from imagegate.engines.diffusers.engine import DiffusersEngine
from imagegate.errors import InputRejected

import diffusers_tiny as tiny

# One torch thread in this process (tests/conftest.py says why).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def source(size: tuple[int, int] = (48, 32)) -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    return SourceImage("https://example.com/a.png", buffer.getvalue(), "image/png", *size)


def job(model: str, fields: dict[str, Any], images: dict[str, list[SourceImage]],
        progress: list[int]) -> EngineJob:
    spec = get_model(model)
    assert spec is not None
    return EngineJob("t1", model, spec.validate(fields), images, progress.append)


async def test_qwen_image_edit_maps_its_parameters_and_reports_progress(tmp_path: Path) -> None:
    weights = tiny.save_qwen_edit(tmp_path / "qwen-edit")
    config = parse_diffusers({"device": "cpu", "pipelines": {"edit": {
        "pipeline": "QwenImageEditPipeline", "weights": str(weights),
        "models": ["qwen/image-edit"], "max_long_side": 64}}})
    processor = tiny.qwen_processor(tiny.qwen_tokenizer())
    engine = DiffusersEngine(config, loader=functools.partial(load_pipeline, processor=processor))
    await engine.start(["qwen/image-edit"])
    progress: list[int] = []
    url = "https://example.com/a.png"
    fields = {"prompt": "make it blue", "image_url": url, "num_images": 2, "seed": 7,
              "num_inference_steps": 4, "acceleration": "high", "image_size": "square",
              "output_format": "jpeg"}
    outputs = await engine.run(job("qwen/image-edit", fields, {"image_url": [source()]},
                                   progress))
    (call,) = engine.device.calls
    # guidance_scale (default 4) is Qwen's true CFG scale, with the default negative prompt;
    # acceleration "high" halves the steps; each image its own seed.
    assert call.call == {"num_inference_steps": 2, "true_cfg_scale": 4.0, "width": 64,
                         "height": 64}
    assert call.prompts == ("make it blue",) * 2 and call.seeds == (7, 8)
    assert call.negative_prompts == ("blurry, ugly",) * 2 and call.images == 2
    assert [(o.mime_type, o.width, o.height) for o in outputs] == [("image/jpeg", 512, 512)] * 2
    assert progress == [0, 50, 99, 100]

    with pytest.raises(InputRejected, match="could not be decoded"):
        broken = SourceImage(url, b"not an image", "image/png", 1, 1)
        await engine.run(job("qwen/image-edit", fields, {"image_url": [broken]}, []))
    await engine.aclose()


async def test_a_cancelled_task_stops_its_pipeline_between_steps(tmp_path: Path) -> None:
    weights = tiny.save_flux(tmp_path / "flux")
    config = parse_diffusers({"device": "cpu", "batch_window_ms": 0, "pipelines": {"text": {
        "pipeline": "FluxPipeline", "weights": str(weights), "models": ["qwen/text-to-image"],
        "max_long_side": 64}}})
    engine = DiffusersEngine(config)
    await engine.start()
    progress: list[int] = []
    fields = {"prompt": "a fox", "num_inference_steps": 250, "image_size": "square"}
    running = asyncio.create_task(engine.run(job("qwen/text-to-image", fields, {}, progress)))
    while len(progress) < 3:  # 0, then the first steps
        await asyncio.sleep(0.01)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    # The device thread is free again at once, well before 250 steps would have ended.
    done: list[int] = []
    fields["num_inference_steps"] = 2
    await asyncio.wait_for(engine.run(job("qwen/text-to-image", fields, {}, done)), 10)
    assert done[-1] == 100 and max(progress) < 99
    await engine.aclose()
