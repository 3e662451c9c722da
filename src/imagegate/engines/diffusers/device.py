"""The GPU side: pipelines loaded once and kept, batches run on one thread per device.

Why a thread and not the CPU engines' process pool (engines/cpu.py): a pipeline is gigabytes
of weights on the GPU that cannot be pickled to a pool process, and a GPU worker is already
its own process (``imagegate worker --models ...``, one per GPU). PyTorch releases the GIL
while kernels run, so the event loop stays responsive. One thread, because a pipeline is not
thread-safe (its scheduler keeps state) and one GPU runs one batch at a time anyway.

torch and diffusers are imported here only, and this module only once the engine starts.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image

from imagegate.engines.diffusers.config import (
    Acceleration,
    DiffusersConfig,
    PipelineConfig,
    offline_environment,
    weights_dir,
)
from imagegate.engines.diffusers.mapping import Request
from imagegate.errors import Interrupted

log = logging.getLogger(__name__)

# Loaded size times this must fit in free GPU memory: activations, the VAE's decode of a
# batch and CUDA's own workspace need room beyond the weights.
MEMORY_HEADROOM = 1.25


class Loader(Protocol):
    def __call__(self, name: str, pipeline: PipelineConfig, config: DiffusersConfig) -> Any: ...


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What one forward pass was asked (no tensors): for logs, tests and the benchmark."""

    pipeline: str
    call: dict[str, Any]  # the shared arguments: size, steps, guidance...
    prompts: tuple[str, ...]
    negative_prompts: tuple[str | None, ...]
    seeds: tuple[int, ...]
    images: int  # source images or canvases passed


@dataclass(frozen=True, slots=True)
class Watch:
    """What the step callback sees of one request of the batch."""

    cancelled: threading.Event
    progress: Callable[[int], None]


def torch_dtype(config: DiffusersConfig) -> Any:
    import torch

    if config.dtype == "auto":
        return torch.bfloat16 if config.device.startswith("cuda") else torch.float32
    return getattr(torch, config.dtype)


def load_pipeline(
    name: str, pipeline: PipelineConfig, config: DiffusersConfig, **components: Any
) -> Any:
    """``pipeline`` from its weights on disk, on the configured device, accelerated.
    ``components`` replace components of the weights (diffusers' own ``from_pretrained``
    keyword, e.g. an already loaded text encoder)."""
    offline_environment()
    import diffusers

    root = weights_dir(name, pipeline)
    cls = getattr(diffusers, pipeline.pipeline)
    pipe = cls.from_pretrained(
        str(root), dtype=torch_dtype(config), local_files_only=True, **components
    )
    place_on_device(name, pipe, config)
    accelerate(pipe, config.acceleration)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def pipeline_bytes(pipe: Any) -> int:
    import torch

    return sum(
        p.numel() * p.element_size()
        for component in pipe.components.values() if isinstance(component, torch.nn.Module)
        for p in component.parameters()
    )


def place_on_device(name: str, pipe: Any, config: DiffusersConfig) -> None:
    """Move the pipeline to the GPU when it fits in free memory; else offload or refuse, as
    configured (``offload``)."""
    import torch

    device = torch.device(config.device)
    if device.type != "cuda":
        pipe.to(device)
        return
    need = pipeline_bytes(pipe)
    free, total = torch.cuda.mem_get_info(device)
    gib = 2**30
    if need * MEMORY_HEADROOM <= free:
        pipe.to(device)
        return
    summary = (f"pipeline {name} needs {need / gib:.1f} GiB (+{MEMORY_HEADROOM - 1:.0%} to run),"
               f" {free / gib:.1f} GiB of {total / gib:.1f} GiB free on {device}")
    if config.offload == "model":
        log.warning("%s: offloading whole components to the CPU between uses", summary)
        pipe.enable_model_cpu_offload(device=device)
    elif config.offload == "sequential":
        log.warning("%s: offloading layer by layer (slow)", summary)
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        raise ValueError(f"engines.diffusers: {summary}; set offload = \"model\" to keep"
                         " components in CPU memory between uses, or serve fewer models on"
                         " this GPU (imagegate worker --models)")


def accelerate(pipe: Any, options: Acceleration) -> None:
    """Apply the speed options. Lossless ones first; float8 (lossy) before compiling, so the
    compiled graph includes the quantized kernels."""
    import torch

    denoiser = getattr(pipe, "transformer", None) or getattr(pipe, "unet", None)
    if denoiser is None:
        return
    if options.fuse_qkv and hasattr(denoiser, "fuse_qkv_projections"):
        denoiser.fuse_qkv_projections()
        vae = getattr(pipe, "vae", None)
        if vae is not None and hasattr(vae, "fuse_qkv_projections"):
            vae.fuse_qkv_projections()
    if options.attention_backend:
        denoiser.set_attention_backend(options.attention_backend)
    if options.float8:
        try:
            from torchao.quantization import (  # type: ignore[import-not-found]
                Float8DynamicActivationFloat8WeightConfig,
                quantize_,
            )
        except ImportError as exc:
            raise ValueError("engines.diffusers.acceleration.float8 needs torchao"
                             " (pip install torchao)") from exc
        quantize_(denoiser, Float8DynamicActivationFloat8WeightConfig())
    if options.compile:
        # flux-fast's inductor settings: fewer, larger fused kernels for DiT blocks.
        inductor = torch._inductor.config
        inductor.conv_1x1_as_mm = True
        inductor.coordinate_descent_tuning = True
        inductor.coordinate_descent_check_all_directions = True
        inductor.epilogue_fusion = False
        denoiser.compile(mode=options.compile_mode, fullgraph=True)
        vae = getattr(pipe, "vae", None)
        if vae is not None:
            vae.decode = torch.compile(vae.decode, mode=options.compile_mode)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError)


class Device:
    """The pipelines of one engine, on one device, driven from one thread."""

    def __init__(self, config: DiffusersConfig, loader: Loader) -> None:
        self.config = config
        self.loader = loader
        self.pipelines: dict[str, Any] = {}
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="imagegate-diffusers")
        # The last forward passes, oldest first (bounded: a worker runs for months).
        self.calls: deque[CallRecord] = deque(maxlen=100)

    def load(self, names: Sequence[str]) -> None:
        """Load (once) the named pipelines. Every one's weights are checked before any loads,
        so a missing directory fails start-up at once, not after minutes of loading."""
        missing = [name for name in dict.fromkeys(names) if name not in self.pipelines]
        for name in missing:
            weights_dir(name, self.config.pipelines[name])
        for name in missing:
            log.info("diffusers: loading pipeline %s", name)
            self.pipelines[name] = self.loader(name, self.config.pipelines[name], self.config)

    def run(self, requests: Sequence[Request], watches: Sequence[Watch]) -> list[list[Image.Image]]:
        """One forward pass for ``requests`` (same key); each request's images, in order."""
        import torch

        name = requests[0].pipeline
        self.load([name])
        pipe = self.pipelines[name]
        settings = self.config.pipelines[name]
        rows = [row for request in requests for row in request.rows]
        kwargs: dict[str, Any] = dict(requests[0].call)
        kwargs["prompt"] = [row.prompt for row in rows]
        if rows[0].negative_prompt is not None:
            kwargs["negative_prompt"] = [row.negative_prompt or " " for row in rows]
        if rows[0].image is not None:
            kwargs["image"] = [row.image for row in rows]
        if rows[0].mask is not None:
            kwargs["mask_image"] = [row.mask for row in rows]
        # CPU generators: the same seed gives the same noise on any device, and each image
        # keeps its own seed inside a batch.
        kwargs["generator"] = [torch.Generator("cpu").manual_seed(row.seed) for row in rows]
        steps = int(kwargs["num_inference_steps"])

        def on_step(pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]
                    ) -> dict[str, Any]:
            if settings.simulate_out_of_memory:
                raise torch.OutOfMemoryError(
                    "CUDA out of memory (simulated: simulate_out_of_memory is set)")
            if all(watch.cancelled.is_set() for watch in watches):
                raise Interrupted
            percent = min(99, (step + 1) * 100 // max(1, steps))
            for watch in watches:
                watch.progress(percent)
            return {}

        self.calls.append(CallRecord(
            name, dict(requests[0].call), tuple(row.prompt for row in rows),
            tuple(row.negative_prompt for row in rows), tuple(row.seed for row in rows),
            sum(row.image is not None for row in rows),
        ))
        out_of_memory = ""
        try:
            with torch.inference_mode():
                images = pipe(**kwargs, num_images_per_prompt=1, output_type="pil",
                              callback_on_step_end=on_step).images
        except torch.OutOfMemoryError as exc:
            out_of_memory = str(exc) or "CUDA out of memory"
        if out_of_memory:
            # Freed only now: inside the except clause the error's traceback still held the
            # pipeline's frames, and with them the failed batch's tensors (latents,
            # embeddings). The error raised again is a fresh one, without those frames, so
            # nothing that keeps it (the task's failure, a log) keeps GPU memory alive.
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            raise torch.OutOfMemoryError(out_of_memory)
        split: list[list[Image.Image]] = []
        start = 0
        for request in requests:
            split.append(list(images[start : start + len(request.rows)]))
            start += len(request.rows)
        return split

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.pipelines.clear()
