"""ClassicEngine: the CPU reframe and upscale engine behind the Engine protocol (no weights,
no GPU)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Final

from imagegate.catalog import get_model
from imagegate.catalog.presets import pixel_size
from imagegate.catalog.seeds import image_seed
from imagegate.engines.base import EngineJob, OutputImage
from imagegate.engines.classic.progress import ProgressBlock
from imagegate.engines.classic.render import MIME_TYPES, ReframeWork, render
from imagegate.engines.classic.upscale import (
    MAX_OUTPUT_PIXELS,
    UpscaleWork,
    render_upscale,
    upscale_work,
)
from imagegate.engines.cpu import CpuPool
from imagegate.errors import EngineUnavailable, InputRejected

# The models this engine reframes. Each takes ``image_url``, ``image_size`` (a named preset or an
# Ideogram v3 "WxH" resolution), ``rendering_speed``, ``num_images`` and ``seed``; Ideogram's
# own reframe endpoint, once adapted, joins this set.
REFRAME_MODELS: Final = frozenset({"ideogram/v3-reframe"})
# The plain upscalers: one source image and a factor (ModelSpec.scale). Their AI extras
# (nano-banana-upscale's face_enhance) are accepted and have no effect here. Background
# removal needs a segmentation model, so recraft/remove-background stays on mock or upstream.
UPSCALE_MODELS: Final = frozenset(
    {"nano-banana-upscale", "topaz/image-upscale", "recraft/crisp-upscale"}
)
CLASSIC_MODELS: Final = REFRAME_MODELS | UPSCALE_MODELS
RENDERING_SPEEDS: Final = ("TURBO", "BALANCED", "QUALITY")
DEFAULT_SPEED: Final = "BALANCED"
SOURCE_FIELD: Final = "image_url"


class ClassicEngine:
    """Reframes (outpaints) an image on the CPU: the source, scaled to fit and centred with its
    pixels untouched, and the rest of the canvas synthesised from the source's own patches.

    ``style`` is accepted, as the catalog allows it, and has no effect: the new area continues
    the source's own look whatever style is asked for. ``rendering_speed`` buys more or less
    synthesis (TURBO, BALANCED, QUALITY). The work runs in ``cpu`` (a process, or a thread when
    it has 0 processes); ``time_budget`` seconds bound the work of a task's images together,
    after which the synthesis finishes with what it has. Progress is read from the work every
    ``poll_interval`` seconds. ``capacity`` is its pool's processes: the worker holds no more
    of its tasks at once.

    It also upscales (``UPSCALE_MODELS``): Lanczos resampling and a mild unsharp mask
    (``upscale.py``), refusing an output of more than ``max_output_pixels``.
    """

    name = "classic"

    def __init__(
        self,
        cpu: CpuPool | None = None,
        *,
        time_budget: float = 120.0,
        poll_interval: float = 0.25,
        max_output_pixels: int = MAX_OUTPUT_PIXELS,
    ) -> None:
        self.cpu = cpu or CpuPool(processes=0)
        # One task per pool process (one in threads): a task past that would only wait in
        # the pool's queue, holding a worker slot (Engine's ``capacity``, worker/lanes.py).
        self.capacity = max(1, self.cpu.processes)
        self.time_budget = time_budget
        self.poll_interval = poll_interval
        self.max_output_pixels = max_output_pixels

    def supports(self, model: str) -> bool:
        return model in CLASSIC_MODELS

    async def run(self, job: EngineJob) -> list[OutputImage]:
        work = self.work_for(job)
        with ProgressBlock() as block:
            relay = asyncio.create_task(block.relay(job.report_progress, self.poll_interval))
            try:
                if isinstance(work, UpscaleWork):
                    images = await self.cpu.run(
                        render_upscale, replace(work, progress_name=block.name)
                    )
                else:
                    images = await self.cpu.run(render, replace(work, progress_name=block.name))
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay
            job.report_progress(block.read())
        return images

    def work_for(self, job: EngineJob) -> ReframeWork | UpscaleWork:
        """The job's input checked and resolved into the work a CpuPool process does."""
        spec = get_model(job.model)
        if spec is None or not self.supports(job.model):
            # A route that sends this engine a model it does not serve: another engine may.
            raise EngineUnavailable(f"classic engine does not serve model {job.model}")
        if job.model in UPSCALE_MODELS:
            field = spec.image_url_fields()[0]
            sources = job.images.get(field) or ()
            if not sources:
                raise InputRejected(f"input.{field}: no image to upscale")
            return upscale_work(
                spec, job.input, sources[0], source_field=f"input.{field}",
                max_pixels=self.max_output_pixels,
            )
        sources = job.images.get(SOURCE_FIELD) or ()
        if not sources:
            raise InputRejected(f"input.{SOURCE_FIELD}: no image to reframe")
        size_name = job.input.get("image_size")
        size = pixel_size(size_name) if isinstance(size_name, str) else None
        if size is None:
            raise InputRejected(
                f"input.image_size: {size_name!r} is neither a size preset nor an"
                " Ideogram v3 resolution"
            )
        speed = job.input.get("rendering_speed") or DEFAULT_SPEED
        if speed not in RENDERING_SPEEDS:
            raise InputRejected(
                f"input.rendering_speed: {speed!r} is not one of {', '.join(RENDERING_SPEEDS)}"
            )
        output_format = spec.output_format(job.input)
        if output_format not in MIME_TYPES:
            raise InputRejected(f"input.output_format: {output_format!r} is not supported")
        seed = spec.seed(job.input) or 0
        count = spec.num_outputs(job.input)
        return ReframeWork(
            source=sources[0].data,
            width=size[0],
            height=size[1],
            speed=str(speed),
            seed=seed,
            image_seeds=tuple(image_seed(seed, index) for index in range(count)),
            output_format=output_format,
            budget_seconds=self.time_budget,
            source_field=f"input.{SOURCE_FIELD}",
        )
