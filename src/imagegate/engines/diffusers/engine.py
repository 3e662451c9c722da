"""DiffusersEngine: open models on a GPU behind the Engine protocol.

A task becomes a ``Request`` (mapping.py), waits in the batcher for compatible ones
(batcher.py), runs with them in one forward pass on the device thread (device.py), and its
images are finished into files (output.py). Failures leave as imagegate errors that say
whether another engine can help: out of GPU memory is retryable (the router fails over), so is
any other pipeline failure (``GenerationFailed``); an unusable input is ``InputRejected``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from PIL import Image

from imagegate.engines.base import EngineJob, OutputImage
from imagegate.engines.diffusers.batcher import Batcher, Entry
from imagegate.engines.diffusers.config import DiffusersConfig
from imagegate.engines.diffusers.device import Device, Loader, Watch
from imagegate.engines.diffusers.mapping import Request, build_request
from imagegate.engines.diffusers.output import finish
from imagegate.errors import (
    EngineUnavailable,
    GenerationFailed,
    Interrupted,
    OutOfGpuMemory,
    TaskError,
)

log = logging.getLogger(__name__)


class DiffusersEngine:
    name = "diffusers"

    def __init__(self, config: DiffusersConfig, loader: Loader | None = None) -> None:
        if loader is None:
            from imagegate.engines.diffusers.device import load_pipeline

            loader = load_pipeline
        self.config = config
        self.device = Device(config, loader)
        self.batcher: Batcher[Request, list[Image.Image]] = Batcher(
            self._run_batch, batch_size=config.batch_size,
            window=config.batch_window_ms / 1000,
            split_on=lambda exc: isinstance(exc, OutOfGpuMemory),
        )

    def supports(self, model: str) -> bool:
        return model in self.config.models

    async def start(self, models: Sequence[str] = ()) -> None:
        """Load the pipelines that serve ``models`` (every configured one when empty), before
        the worker claims a task: missing weights or a GPU too small stop the start-up."""
        wanted = set(models) or set(self.config.models)
        names = [name for name, p in self.config.pipelines.items() if wanted & set(p.models)]
        await self._on_device(self.device.load, names)

    async def run(self, job: EngineJob) -> list[OutputImage]:
        found = self.config.pipeline_for(job.model)
        if found is None:
            raise EngineUnavailable(f"diffusers engine does not serve model {job.model}")
        name, pipeline = found
        # Decoding the source and building the canvas is CPU work: off the event loop.
        request = await asyncio.to_thread(build_request, name, pipeline, job)
        loop = asyncio.get_running_loop()

        def progress(percent: int) -> None:  # called from the device thread
            loop.call_soon_threadsafe(job.report_progress, percent)

        job.report_progress(0)
        images = await self.batcher.submit(request.key, len(request.rows), request, progress)
        outputs = await asyncio.to_thread(finish, request, images)
        job.report_progress(100)
        return outputs

    async def _run_batch(self, batch: list[Entry[Request]]) -> list[list[Image.Image]]:
        requests = [entry.payload for entry in batch]
        watches = [Watch(entry.cancelled, entry.progress) for entry in batch]
        try:
            images: list[list[Image.Image]] = await self._on_device(
                self.device.run, requests, watches)
            return images
        except TaskError:
            raise
        except Interrupted as exc:
            raise GenerationFailed("diffusers: cancelled") from exc
        except Exception as exc:
            raise self._translate(requests, exc) from exc

    def _translate(self, requests: list[Request], exc: Exception) -> TaskError:
        from imagegate.engines.diffusers.device import is_out_of_memory

        first = requests[0]
        what = (f"{first.pipeline_class} ({sum(len(r.rows) for r in requests)} images at"
                f" {first.call.get('width')}x{first.call.get('height')})")
        if is_out_of_memory(exc):
            log.warning("diffusers: out of memory on %s running %s", self.config.device, what)
            return OutOfGpuMemory(
                f"diffusers: out of GPU memory on {self.config.device} running {what}; the"
                " engine freed its memory and stays up: a retry, or another engine on the"
                " route, can help"
            )
        log.exception("diffusers: %s failed", what)
        return GenerationFailed(f"diffusers: {what} failed: {type(exc).__name__}: {exc}")

    async def _on_device(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.device.executor, fn, *args)

    async def aclose(self) -> None:
        await self.batcher.aclose()
        await asyncio.to_thread(self.device.close)
