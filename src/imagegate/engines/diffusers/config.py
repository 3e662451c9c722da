"""The ``[engines.diffusers]`` table: which pipeline and which weights serve which model.

In the TOML file::

    [engines.diffusers]
    device = "cuda"            # or "cuda:1", "cpu"
    batch_size = 4             # images in one forward pass, across tasks
    offload = "refuse"         # a pipeline that does not fit: "refuse", "model" or "sequential"

    [engines.diffusers.acceleration]
    compile = true             # torch.compile the transformer and the VAE decoder (lossless)
    fuse_qkv = true            # fused QKV projections (lossless)
    attention_backend = "flash"  # diffusers' attention dispatcher (lossless)
    float8 = false             # LOSSY: float8 weights and activations (torchao)

    [engines.diffusers.pipelines.kontext]
    pipeline = "FluxKontextPipeline"
    weights = "/srv/models/FLUX.1-Kontext-dev"        # a local directory...
    models = ["flux-kontext-pro", "flux-kontext-max"]

    [engines.diffusers.pipelines.qwen-edit]
    pipeline = "QwenImageEditPipeline"
    repo = "Qwen/Qwen-Image-Edit"                       # ...or a repo in the HF cache, offline
    models = ["qwen/image-edit"]

or as JSON in ``IMAGEGATE_ENGINES``. Everything here is checked without importing torch:
the weights must be on disk when the engine is built (the worker's start-up), and a missing
directory or component is named in the error, not found at the first task.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from imagegate.catalog import get_model

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")

# What each pipeline class does: "edit" (a source image and a prompt), "text" (a prompt),
# "edit_or_text" (Kontext: edit with a source, generate without), "outpaint" (a canvas and a
# mask of the area to fill). The engine maps each model's input onto one of these.
PIPELINE_KINDS: dict[str, str] = {
    "QwenImageEditPipeline": "edit",
    "FluxKontextPipeline": "edit_or_text",
    "QwenImagePipeline": "text",
    "FluxPipeline": "text",
    "StableDiffusionXLPipeline": "text",
    "FluxFillPipeline": "outpaint",
    "StableDiffusionXLInpaintPipeline": "outpaint",
}

# The models each kind can serve (catalog names). Text-to-image models that take reference
# images (nano-banana-pro, gpt4o-image, ideogram/character, nano-banana-2 and its Lite) are
# left out: an open text-to-image pipeline would silently ignore the references.
# qwen2/image-edit: one image_url, a prompt and a ratio, all of which the edit pipeline honours.
# qwen/image-to-image is left out: its ``strength`` has no counterpart in the edit pipeline.
EDIT_MODELS = frozenset({"qwen/image-edit", "qwen2/image-edit"})
KONTEXT_MODELS = frozenset({"flux-kontext-pro", "flux-kontext-max"})
OUTPAINT_MODELS = frozenset({"ideogram/v3-reframe"})
TEXT_MODELS = frozenset({
    "qwen/text-to-image",
    "google/imagen4",
    "google/imagen4-fast",
    "google/imagen4-ultra",
    "bytedance/seedream-v4-text-to-image",
    "ideogram/v3-text-to-image",
    "google/nano-banana",
    # Kie's market (issue 19): plain prompt-and-size models. GPT Image 2's transparent
    # background and Grok Imagine's quality mode are not open pipeline switches (the text
    # pipeline makes an opaque image in the pipeline's steps).
    "gpt-image/1.5-text-to-image",
    "gpt-image-2-text-to-image",
    "grok-imagine/text-to-image",
    "grok-imagine-image-2-0/text-to-image",
    # The market pages' plain text-to-image models: a prompt and a ratio (with a resolution
    # tier the catalog turns into pixels). Left out: qwen2-1/text-to-image, whose transparent
    # background no open pipeline makes, and Wan 2.7 Image, which mixes editing and groups.
    "bytedance/seedream",
    "seedream/4.5-text-to-image",
    "seedream/5-lite-text-to-image",
    "seedream/5-pro-text-to-image",
    "seedream/5-flash-text-to-image",
    "flux-2/pro-text-to-image",
    "flux-2/flex-text-to-image",
    "qwen2/text-to-image",
    "qwen3/text-to-image",
    "qwen3/pro-text-to-image",
    "z-image",
})
_SERVES: dict[str, frozenset[str]] = {
    "edit": EDIT_MODELS,
    "edit_or_text": KONTEXT_MODELS | TEXT_MODELS,
    "text": TEXT_MODELS,
    "outpaint": OUTPAINT_MODELS,
}


class Acceleration(BaseModel):
    """Speed options applied once when a pipeline loads. All lossless except ``float8``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # torch.compile of the transformer (and the VAE decoder); the first task at each new
    # shape pays the compilation (tens of seconds), the rest run the compiled graphs.
    compile: bool = False
    # "max-autotune" captures CUDA graphs as well; "max-autotune-no-cudagraphs" does not
    # (for shapes that change often); "default" compiles fastest.
    compile_mode: Literal["default", "max-autotune", "max-autotune-no-cudagraphs",
                          "reduce-overhead"] = "max-autotune"
    fuse_qkv: bool = False
    # A name diffusers' attention dispatcher knows ("flash", "_flash_3", "native",
    # "_native_cudnn", "sage"...); empty keeps the pipeline's default (PyTorch SDPA).
    attention_backend: str = ""
    # LOSSY: float8 dynamic quantization of the transformer's linear layers (needs torchao and
    # a GPU with float8, H100 and later). Faster and smaller; images differ slightly.
    float8: bool = False


class PipelineConfig(BaseModel):
    """One loaded pipeline and the models it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pipeline: str
    models: tuple[str, ...]
    # Exactly one of: a local directory in diffusers' layout (model_index.json at its top),
    # or a Hugging Face repo id found in the local cache (never downloaded).
    weights: str = ""
    repo: str = ""
    revision: str | None = None
    cache_dir: str | None = None
    # Defaults for models whose input has no such field (text-to-image models other than
    # qwen/text-to-image, reframe): steps and guidance of this pipeline's weights. For Qwen
    # pipelines ``guidance`` is the true CFG scale; for FLUX it is the distilled guidance.
    steps: int = Field(default=28, ge=1, le=250)
    guidance: float = Field(default=3.5, ge=0, le=50)
    # Generation is capped at this many pixels on the long side; the image is then resized to
    # the size asked for (a GPU short of memory for 2K, or the tests' 64-pixel pipelines).
    max_long_side: int | None = Field(default=None, ge=16)
    # FluxKontextPipeline: resize the input image to the resolutions Kontext was trained on
    # (recommended for real weights).
    kontext_preferred_resolutions: bool = True
    # Outpainting: the prompt the new area is generated from (reframe has no prompt).
    outpaint_prompt: str = "the same scene, seamlessly continued"
    # TEST HOOK: every run raises CUDA's out-of-memory error inside the pipeline call, at its
    # first step, so the OOM handling and the router's failover can be tested on a CPU.
    simulate_out_of_memory: bool = False

    @property
    def kind(self) -> str:
        return PIPELINE_KINDS[self.pipeline]

    @model_validator(mode="after")
    def _check(self) -> PipelineConfig:
        if self.pipeline not in PIPELINE_KINDS:
            raise ValueError(
                f"pipeline: {self.pipeline!r} is not one of {', '.join(PIPELINE_KINDS)}"
            )
        if bool(self.weights) == bool(self.repo):
            raise ValueError("give exactly one of weights (a directory) or repo (a cached repo)")
        if not self.models:
            raise ValueError("models: names no model")
        for model in self.models:
            if get_model(model) is None:
                raise ValueError(f"models: unknown model {model!r}")
            if model not in _SERVES[self.kind]:
                raise ValueError(f"models: {self.pipeline} cannot serve {model!r}")
        return self


class DiffusersConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # "cuda", "cuda:N" or "cpu". One engine per worker process and one device per engine: a
    # machine with several GPUs runs one `imagegate worker` per GPU (CUDA_VISIBLE_DEVICES).
    device: str = "cuda"
    # "auto": bfloat16 on CUDA, float32 on the CPU (bf16 matmuls on a CPU are slow).
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    # Images generated in one forward pass, from one task or several compatible ones.
    batch_size: int = Field(default=4, ge=1, le=64)
    # How long the first task of a batch waits for compatible tasks to join it.
    batch_window_ms: float = Field(default=20.0, ge=0, le=5000)
    # A pipeline that does not fit in the GPU's free memory when it loads: "refuse" stops the
    # worker with a message; "model" keeps whole components in CPU memory and moves each to
    # the GPU while it runs (accelerate); "sequential" does so layer by layer (slowest).
    offload: Literal["refuse", "model", "sequential"] = "refuse"
    acceleration: Acceleration = Acceleration()
    pipelines: dict[str, PipelineConfig]

    @model_validator(mode="after")
    def _one_pipeline_per_model(self) -> DiffusersConfig:
        seen: dict[str, str] = {}
        for name, pipeline in self.pipelines.items():
            if not _NAME.fullmatch(name):
                raise ValueError(
                    f"pipelines: name {name!r} must be lower-case letters, digits, '_' or '-'"
                )
            for model in pipeline.models:
                if model in seen:
                    raise ValueError(
                        f"pipelines: model {model!r} is served by both {seen[model]!r} and"
                        f" {name!r}"
                    )
                seen[model] = name
        if not self.pipelines:
            raise ValueError("pipelines: none configured")
        return self

    def pipeline_for(self, model: str) -> tuple[str, PipelineConfig] | None:
        for name, pipeline in self.pipelines.items():
            if model in pipeline.models:
                return name, pipeline
        return None

    @property
    def models(self) -> frozenset[str]:
        return frozenset(m for p in self.pipelines.values() for m in p.models)


def parse_diffusers(raw: Mapping[str, Any] | None) -> DiffusersConfig:
    """The ``engines.diffusers`` table checked; ValueError naming the field at fault."""
    if not raw:
        raise ValueError(
            "engines.diffusers: not configured; add an [engines.diffusers] table with its"
            " pipelines (docs/gpu.md)"
        )
    try:
        return DiffusersConfig.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'table'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ValueError(f"engines.diffusers: {problems}") from None


def check_installed() -> None:
    """The engine's libraries are importable (without importing them: torch takes seconds)."""
    missing = [m for m in ("torch", "diffusers", "transformers") if not importlib.util.find_spec(m)]
    if missing:
        raise ValueError(
            f"engines.diffusers: {', '.join(missing)} not installed; install the GPU extra:"
            " pip install 'imagegate[gpu]'"
        )


def weights_dir(name: str, pipeline: PipelineConfig) -> Path:
    """The directory holding ``pipeline``'s weights, checked complete: model_index.json and
    every component folder it names. Raises ValueError naming the missing path. Offline:
    a repo is looked up in the Hugging Face cache and never downloaded."""
    where = f"engines.diffusers.pipelines.{name}"
    if pipeline.weights:
        root = Path(pipeline.weights).expanduser()
        if not root.is_dir():
            raise ValueError(f"{where}.weights: {root} does not exist (weights are never"
                             " downloaded; put the pipeline's directory there)")
    else:
        root = _cached_repo(where, pipeline)
    index = root / "model_index.json"
    if not index.is_file():
        raise ValueError(f"{where}: {index} is missing (not a diffusers pipeline directory)")
    try:
        components = json.loads(index.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: {index} cannot be read: {exc}") from None
    for component, value in components.items():
        if component.startswith("_") or not isinstance(value, list) or None in value:
            continue
        _check_component(where, component, root / component)
    return root


def _check_component(where: str, component: str, folder: Path) -> None:
    """``folder`` holds files, none of them a dangling link (what an interrupted download
    leaves in the Hugging Face cache), and every shard its weights index names: a folder
    that merely exists would pass the start-up and fail the first task."""
    if not folder.is_dir():
        raise ValueError(f"{where}: component {component!r} is missing: {folder}")
    entries = list(folder.iterdir())
    for entry in entries:
        if entry.is_symlink() and not entry.exists():
            raise ValueError(f"{where}: component {component!r}: {entry} is a link to a file"
                             " that is not there (an unfinished download?)")
    if not any(entry.is_file() for entry in entries):
        raise ValueError(f"{where}: component {component!r} is empty: {folder}")
    for index in folder.glob("*.index.json"):
        try:
            shards = set(json.loads(index.read_text()).get("weight_map", {}).values())
        except (OSError, ValueError, AttributeError) as exc:
            raise ValueError(f"{where}: {index} cannot be read: {exc}") from None
        for shard in sorted(shards):
            if not (folder / shard).is_file():
                raise ValueError(f"{where}: component {component!r}: {folder / shard} is"
                                 f" missing ({index.name} names it)")


def _cached_repo(where: str, pipeline: PipelineConfig) -> Path:
    if importlib.util.find_spec("huggingface_hub") is None:
        raise ValueError(f"{where}.repo: huggingface_hub is not installed (pip install"
                         " 'imagegate[gpu]')")
    from huggingface_hub import constants, try_to_load_from_cache

    cache = Path(pipeline.cache_dir or constants.HF_HUB_CACHE).expanduser()
    found = try_to_load_from_cache(
        pipeline.repo, "model_index.json", cache_dir=str(cache), revision=pipeline.revision
    )
    if not isinstance(found, str):
        expected = cache / f"models--{pipeline.repo.replace('/', '--')}"
        raise ValueError(
            f"{where}.repo: {pipeline.repo} is not in the Hugging Face cache ({expected} has no"
            " model_index.json); weights are never downloaded: fetch them beforehand with"
            f" `huggingface-cli download {pipeline.repo}`"
        )
    return Path(found).parent


def offline_environment() -> None:
    """No library of the engine may reach the Hub: weights come from disk only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
