"""Each model's input in a pipeline's terms: a ``Request`` of rows (one per image) and the
arguments every row of a forward pass shares. No torch here: the requests are built (and the
source images decoded) before anything reaches the GPU thread.

The per-model table (docs/gpu.md says the same in prose):

- steps: ``num_inference_steps`` where the model has it, else the pipeline's ``steps``;
  times the model's speed factor (``acceleration`` none/regular/high: 1, 0.75, 0.5;
  Ideogram's ``rendering_speed`` TURBO/BALANCED/QUALITY: 0.5, 1, 1.5; imagen4-fast/imagen4/
  imagen4-ultra: 0.5, 1, 1.5), at least 2.
- guidance: ``guidance_scale`` where the model has it (Qwen pipelines: the true CFG scale),
  else the pipeline's ``guidance``.
- size: the model's own size field read by the catalog (presets, aspect ratios at 1024 on the
  long side, Seedream's resolution), 1024x1024 where it says "auto" or nothing.
- seed: image ``i`` of a task uses ``seed + i``; no seed draws one.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from PIL import Image

from imagegate.catalog import get_model
from imagegate.catalog.presets import pixel_size
from imagegate.catalog.seeds import SEED_MAX
from imagegate.catalog.spec import ModelSpec
from imagegate.engines.base import EngineJob, SourceImage
from imagegate.engines.classic.codec import decode
from imagegate.engines.classic.geometry import Placement, place
from imagegate.engines.classic.reframe import scale_source
from imagegate.engines.diffusers.config import PipelineConfig
from imagegate.errors import InputRejected

DEFAULT_SIZE: Final = (1024, 1024)
# Latents are 8x smaller than the image and packed in 2x2 patches: sizes are multiples of 16.
MULTIPLE: Final = 16
# The longest side an edit's source is decoded at; the pipelines resize it to about 1 MP.
_SOURCE_DECODE: Final = (2048, 2048)
_SEED_RANGE: Final = 2**63

ACCELERATION_STEPS: Final = {"none": 1.0, "regular": 0.75, "high": 0.5}
RENDERING_SPEED_STEPS: Final = {"TURBO": 0.5, "BALANCED": 1.0, "QUALITY": 1.5}
MODEL_STEPS: Final = {"google/imagen4-fast": 0.5, "google/imagen4": 1.0,
                      "google/imagen4-ultra": 1.5}
# Ideogram's style choice, said in the prompt (open pipelines have no style switch).
STYLE_SUFFIX: Final = {"REALISTIC": ", photorealistic", "DESIGN": ", graphic design"}

# The pipelines whose prompt encoders take a negative prompt.
NEGATIVE_PROMPT_PIPELINES: Final = frozenset({
    "QwenImageEditPipeline", "QwenImagePipeline", "StableDiffusionXLPipeline",
    "StableDiffusionXLInpaintPipeline",
})
# The pipelines whose guidance is true classifier-free guidance under the name true_cfg_scale.
TRUE_CFG_PIPELINES: Final = frozenset({"QwenImageEditPipeline", "QwenImagePipeline"})


@dataclass(frozen=True, slots=True, eq=False)
class Row:
    """One image to generate."""

    prompt: str
    seed: int
    negative_prompt: str | None = None
    image: Image.Image | None = None  # an edit's source, or an outpaint's canvas
    mask: Image.Image | None = None  # outpaint: white where the pipeline generates


@dataclass(frozen=True, slots=True)
class Paste:
    """Outpainting: the source's pixels, put back exactly where they were placed."""

    pixels: np.ndarray
    placement: Placement


@dataclass(frozen=True, slots=True, eq=False)
class Request:
    """One task in a pipeline's terms. Requests with equal ``key`` share one forward pass."""

    pipeline: str  # the configured pipeline's name
    pipeline_class: str
    call: Mapping[str, Any]  # the arguments every row of a forward pass shares
    rows: tuple[Row, ...]
    size: tuple[int, int]  # the size asked for; generated at call's width x height
    output_format: str
    paste: Paste | None = None
    key: Hashable = field(default=())


def build_request(name: str, config: PipelineConfig, job: EngineJob) -> Request:
    """``job`` mapped onto pipeline ``name``. Raises InputRejected for an unusable input."""
    spec = get_model(job.model)
    if spec is None:
        raise InputRejected(f"unknown model {job.model}")
    params = job.input
    if job.model == "ideogram/v3-reframe":
        return _outpaint(name, config, spec, job)
    source = _first_source(job.images)
    size = spec.output_size(params) or DEFAULT_SIZE
    call: dict[str, Any] = {"num_inference_steps": _steps(config, job.model, params)}
    call.update(_guidance(config, params))
    width, height = generation_size(size, config.max_long_side)
    call.update(width=width, height=height)
    if config.pipeline == "QwenImageEditPipeline":
        if source is None:
            raise InputRejected("input.image_url: no image to edit")
    elif config.pipeline == "FluxKontextPipeline":
        # Kontext rescales height and width to max_area (1 MP unless told), with or without
        # a source: the area asked for keeps the size asked for.
        call.update(max_area=width * height, _auto_resize=config.kontext_preferred_resolutions)
    else:
        source = None  # a text-to-image pipeline: the model has no image input
    image = _edit_source(source) if source is not None else None
    prompt = str(params.get("prompt") or "") + STYLE_SUFFIX.get(str(params.get("style")), "")
    negative = _negative(config, params)
    seed = _seed(spec, params)
    rows = tuple(
        Row(prompt, (seed + index) % _SEED_RANGE, negative, image)
        for index in range(spec.num_outputs(params))
    )
    key = (name, tuple(sorted(call.items())), image.size if image is not None else None,
           negative is not None)
    return Request(name, config.pipeline, call, rows, size, spec.output_format(params),
                   key=key)


def generation_size(size: tuple[int, int], max_long_side: int | None) -> tuple[int, int]:
    """The size a pipeline generates at: ``size`` capped to ``max_long_side`` (aspect kept),
    each side rounded down to a multiple of 16 (at least 16)."""
    width, height = size
    if max_long_side is not None and max(width, height) > max_long_side:
        scale = max_long_side / max(width, height)
        width, height = round(width * scale), round(height * scale)
    return max(MULTIPLE, width // MULTIPLE * MULTIPLE), max(MULTIPLE, height // MULTIPLE * MULTIPLE)


def _steps(config: PipelineConfig, model: str, params: Mapping[str, Any]) -> int:
    asked = params.get("num_inference_steps")
    steps = float(asked) if asked is not None else float(config.steps)
    factor = (
        ACCELERATION_STEPS.get(str(params.get("acceleration") or "none"), 1.0)
        * RENDERING_SPEED_STEPS.get(str(params.get("rendering_speed") or "BALANCED"), 1.0)
        * MODEL_STEPS.get(model, 1.0)
    )
    return max(2, min(250, round(steps * factor)))


def _guidance(config: PipelineConfig, params: Mapping[str, Any]) -> dict[str, float]:
    asked = params.get("guidance_scale")
    value = float(asked) if asked is not None else config.guidance
    if config.pipeline in TRUE_CFG_PIPELINES:
        return {"true_cfg_scale": value}
    return {"guidance_scale": value}


def _negative(config: PipelineConfig, params: Mapping[str, Any]) -> str | None:
    """The negative prompt where the pipeline uses one: the input's, else " " (Qwen's own
    examples: true CFG needs a negative prompt, an empty one is its neutral choice)."""
    if config.pipeline not in NEGATIVE_PROMPT_PIPELINES:
        return None
    if config.pipeline in TRUE_CFG_PIPELINES:
        asked = params.get("guidance_scale")
        if (float(asked) if asked is not None else config.guidance) <= 1:
            return None  # no CFG: the negative pass would be wasted
    return str(params.get("negative_prompt") or " ")


def _seed(spec: ModelSpec, params: Mapping[str, Any]) -> int:
    seed = spec.seed(params)
    return secrets.randbelow(SEED_MAX + 1) if seed is None else seed % _SEED_RANGE


def _first_source(images: Mapping[str, Any]) -> SourceImage | None:
    for sources in images.values():
        if sources:
            source: SourceImage = sources[0]
            return source
    return None


def _rgb(array: np.ndarray) -> np.ndarray:
    """H x W x C (C = 1, 3 or 4) as RGB: gray repeated, transparency over white."""
    if array.shape[2] == 1:
        return np.repeat(array, 3, axis=2)
    if array.shape[2] == 4:
        alpha = array[..., 3:].astype(np.float32) / 255.0
        rgb = array[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        blended: np.ndarray = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        return blended
    return array


def _edit_source(source: SourceImage) -> Image.Image:
    return Image.fromarray(_rgb(decode(source.data, _SOURCE_DECODE, field="input image")))


def _outpaint(name: str, config: PipelineConfig, spec: ModelSpec, job: EngineJob) -> Request:
    """Reframe as outpainting: the source scaled to fit and centred on the new canvas (the
    classic engine's geometry), the mask white over the new area only; after generation the
    source's pixels are pasted back unchanged (``Paste``)."""
    sources = job.images.get("image_url") or ()
    if not sources:
        raise InputRejected("input.image_url: no image to reframe")
    size_name = job.input.get("image_size")
    size = pixel_size(size_name) if isinstance(size_name, str) else None
    if size is None:
        raise InputRejected(f"input.image_size: {size_name!r} is neither a size preset nor an"
                            " Ideogram v3 resolution")
    decoded = decode(sources[0].data, size, field="input.image_url")
    placement = place(decoded.shape[1], decoded.shape[0], *size)
    inner = _rgb(scale_source(decoded, placement))
    canvas = np.full((size[1], size[0], 3), 127, dtype=np.uint8)
    mask = np.full((size[1], size[0]), 255, dtype=np.uint8)
    top, left = placement.top, placement.left
    canvas[top : top + placement.inner_height, left : left + placement.inner_width] = inner
    mask[top : top + placement.inner_height, left : left + placement.inner_width] = 0
    width, height = generation_size(size, config.max_long_side)
    canvas_image = Image.fromarray(canvas).resize((width, height), Image.Resampling.LANCZOS)
    mask_image = Image.fromarray(mask).resize((width, height), Image.Resampling.NEAREST)
    call: dict[str, Any] = {
        "num_inference_steps": _steps(config, job.model, job.input),
        "width": width, "height": height, **_guidance(config, job.input),
    }
    if config.pipeline == "StableDiffusionXLInpaintPipeline":
        call["strength"] = 1.0  # the new area from pure noise, not from the gray fill
    prompt = config.outpaint_prompt + STYLE_SUFFIX.get(str(job.input.get("style")), "")
    negative = " " if config.pipeline in NEGATIVE_PROMPT_PIPELINES else None
    seed = _seed(spec, job.input)
    rows = tuple(
        Row(prompt, (seed + index) % _SEED_RANGE, negative, canvas_image, mask_image)
        for index in range(spec.num_outputs(job.input))
    )
    key = (name, tuple(sorted(call.items())), "outpaint")
    return Request(name, config.pipeline, call, rows, size, spec.output_format(job.input),
                   paste=Paste(inner, placement), key=key)
