"""The mock engine: deterministic, clearly labelled images for testing integrations offline.

It honours what a real engine would (pixel size from ``image_size``, an upscaler's source
size times its scale, ``num_images``, ``output_format``, the seed) and draws the source image
into the frame when there is one, but every image it makes says MOCK across it, so nobody
mistakes it for a result.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import json
import random
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from imagegate.catalog import ModelSpec, get_model
from imagegate.engines.base import EngineJob, OutputImage, SourceImage
from imagegate.engines.cpu import CpuPool
from imagegate.engines.upscaling import upscaled_size
from imagegate.errors import GenerationFailed

_DEFAULT_SIZE = (1024, 1024)
# Written into every file's metadata as well as drawn on the picture.
MOCK_NOTICE = "imagegate mock engine: a test image, not a generation"
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_KEPT_RENDERS = 32  # requests' worth of images (a few hundred KB each) kept in the server
# The largest image the mock draws: about 12 bytes a pixel while drawing, so under 500 MB. An
# upscale asking for more is refused (an upscaler's output grows with its source).
MAX_PIXELS = 40_000_000
# Sizes whose ramp and MOCK marking are kept for reuse: up to a 4K preset's, as before
# upscales; an upscale's larger one-off sizes are drawn each time instead of filling the cache.
_CACHED_PIXELS = 4096 * 4096


class MockEngine:
    """Serves every model in the catalog with labelled test images.

    ``latency`` seconds are spent per task (sleeping, not computing); ``fail_rate`` is the
    probability that a task fails with ``GenerationFailed``, as a real engine sometimes does.
    """

    name = "mock"

    def __init__(
        self, latency: float = 0.0, fail_rate: float = 0.0, cpu: CpuPool | None = None
    ) -> None:
        self.latency = latency
        self.fail_rate = fail_rate
        self.cpu = cpu or CpuPool(processes=0)
        # Renders of requests without a source image, kept here too: the engine process
        # remembers them as well, but fetching one from it still pickles a few hundred KB
        # each way, which is most of a cached mock task's cost under load.
        self._renders: OrderedDict[tuple[str, ...], list[OutputImage]] = OrderedDict()

    def supports(self, model: str) -> bool:
        return get_model(model) is not None

    async def run(self, job: EngineJob) -> list[OutputImage]:
        spec = get_model(job.model)
        if spec is None:
            raise GenerationFailed(f"mock engine: unknown model {job.model!r}")
        if self.latency:
            # Halfway through, a report, as an engine reports its steps (the record's
            # progress, and its live events, move while it runs).
            await asyncio.sleep(self.latency / 2)
            job.report_progress(25)
            await asyncio.sleep(self.latency / 2)
        if self.fail_rate and random.random() < self.fail_rate:
            raise GenerationFailed(
                f"mock engine: simulated failure (fail rate {self.fail_rate:g})"
            )
        sources = [img for images in job.images.values() for img in images]
        size = spec.output_size(job.input) or _source_based_size(spec, job.input, sources)
        fmt = spec.output_format(job.input)
        count = spec.num_outputs(job.input)
        job.report_progress(50)
        if sources:
            return await self.cpu.run(
                _render_all, job.model, dict(job.input), sources, size, fmt, count
            )
        key = (job.model, _canonical(job.input), f"{size[0]}x{size[1]}", fmt, str(count))
        images = self._renders.get(key)
        if images is None:
            images = await self.cpu.run(
                _render_all, job.model, dict(job.input), sources, size, fmt, count
            )
            self._renders[key] = images
            if len(self._renders) > _KEPT_RENDERS:
                self._renders.popitem(last=False)
        else:
            self._renders.move_to_end(key)
        return list(images)


def _source_based_size(
    spec: ModelSpec, params: Mapping[str, Any], sources: list[SourceImage]
) -> tuple[int, int]:
    """The size of a model without a size field: an upscaler's source size times its scale,
    another model's first source's size, or 1024 x 1024 without a source."""
    if not sources:
        return _DEFAULT_SIZE
    source = (sources[0].width, sources[0].height)
    scaled = upscaled_size(spec, params, source, engine=MockEngine.name, max_pixels=MAX_PIXELS)
    return scaled or source


def _render_all(
    model: str,
    params: Mapping[str, Any],
    sources: list[SourceImage],
    size: tuple[int, int],
    fmt: str,
    count: int,
) -> list[OutputImage]:
    if not sources:
        # Deterministic, so the same request is the same bytes: drawn once, then reused.
        return [_render_cached(model, _canonical(params), size, fmt, i) for i in range(count)]
    source = Image.open(io.BytesIO(sources[0].data)).convert("RGB")
    return [_render(model, params, source, size, fmt, index) for index in range(count)]


def _canonical(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


@functools.lru_cache(maxsize=32)
def _render_cached(
    model: str, params_json: str, size: tuple[int, int], fmt: str, index: int
) -> OutputImage:
    """``_render`` of a request without source images, remembered: drawing and encoding a
    1024x1024 image costs ~40 ms, which would be the whole cost of a mock task (and of a load
    test run on the mock engine); 32 images of a few hundred KB bound the memory."""
    return _render(model, json.loads(params_json), None, size, fmt, index)


def _render(
    model: str,
    params: Mapping[str, Any],
    source: Image.Image | None,
    size: tuple[int, int],
    fmt: str,
    index: int,
) -> OutputImage:
    # The same model, input (seed included) and index always give the same picture.
    digest = hashlib.sha256(
        json.dumps([model, params, index], sort_keys=True, default=str).encode()
    ).digest()
    width, height = size
    top, bottom = digest[0:3], digest[3:6]
    ramp = _ramp(size)
    channels = zip(top, bottom, strict=True)
    image = Image.merge(
        "RGB", [ramp.point([a + (b - a) * v // 255 for v in range(256)]) for a, b in channels]
    )
    if source is not None:
        thumb = source.copy()
        thumb.thumbnail((width * 3 // 4, height * 3 // 4))
        image.paste(thumb, ((width - thumb.width) // 2, (height - thumb.height) // 2))
    overlay = _overlay(size, model)
    image.paste(overlay, (0, 0), overlay)
    _fingerprint(image, f"#{index + 1} · {digest.hex()[:12]}")
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=85, comment=MOCK_NOTICE.encode())
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=80)
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", MOCK_NOTICE)
        image.save(buffer, "PNG", compress_level=1, pnginfo=info)
    return OutputImage(buffer.getvalue(), _MIME.get(fmt, "image/png"), width, height)


def _ramp(size: tuple[int, int]) -> Image.Image:
    """A vertical 0-255 ramp of the output size; colours are mapped onto it per image."""
    return _cached_ramp(size) if _cacheable(size) else _draw_ramp(size)


def _overlay(size: tuple[int, int], model: str) -> Image.Image:
    """The MOCK marking of one size and model: drawn once and pasted on every image (drawing
    the text is most of a mock image's cost, and holds the GIL), kept for reuse when small."""
    return _cached_overlay(size, model) if _cacheable(size) else _draw_overlay(size, model)


def _cacheable(size: tuple[int, int]) -> bool:
    return size[0] * size[1] <= _CACHED_PIXELS


def _draw_ramp(size: tuple[int, int]) -> Image.Image:
    return Image.linear_gradient("L").resize(size)


def _draw_overlay(size: tuple[int, int], model: str) -> Image.Image:
    width, height = size
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    big = ImageFont.load_default(size=max(16, min(width, height) // 5))
    small = ImageFont.load_default(size=max(10, min(width, height) // 32))
    # Diagonal bands and a large MOCK make the marking survive crops and thumbnails.
    step = max(width, height) // 6
    for offset in range(-height, width, step):
        draw.line([(offset, height), (offset + height, 0)], fill=(255, 255, 255, 255), width=3)
    draw.text(
        (width / 2, height / 2), "MOCK", font=big, anchor="mm",
        fill=(255, 255, 255, 255), stroke_width=max(2, width // 200), stroke_fill=(0, 0, 0, 255),
    )
    draw.text(
        (width / 2, height - height // 20), f"imagegate mock engine · {model}", font=small,
        anchor="mm", fill=(255, 255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0, 255),
    )
    return overlay


_cached_ramp = functools.lru_cache(maxsize=16)(_draw_ramp)
_cached_overlay = functools.lru_cache(maxsize=16)(_draw_overlay)


def _fingerprint(image: Image.Image, text: str) -> None:
    """Which image of the batch, and a digest of its input, in the top corner."""
    width, height = image.size
    font = ImageFont.load_default(size=max(10, min(width, height) // 40))
    ImageDraw.Draw(image).text((8, 8), text, font=font, fill=(255, 255, 255))
