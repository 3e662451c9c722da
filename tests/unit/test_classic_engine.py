"""The classic reframe engine on real photographs: sizes, seeds, kept pixels, every input
mode, huge and tiny inputs, progress, the time budget and its refusals.

The fill itself is another module's business: nothing here depends on how it looks, only on
what any correct fill must give.
"""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data

from imagegate.catalog.presets import IMAGE_SIZE_PRESETS
from imagegate.catalog.seeds import image_seed
from imagegate.engines.base import EngineJob, OutputImage, SourceImage
from imagegate.engines.classic.engine import CLASSIC_MODELS, REFRAME_MODELS, ClassicEngine
from imagegate.engines.classic.render import ReframeWork, image_deadlines, render
from imagegate.engines.cpu import CpuPool
from imagegate.errors import EngineUnavailable, GenerationFailed, InputRejected

from photos import assert_source_kept, photo_file, pixels

REFRAME = "ideogram/v3-reframe"


def quick() -> ClassicEngine:
    """An engine with half a second per task, for tests that look at sizes and the source's
    pixels, which do not depend on how far the fill got. Tests of determinism use the default
    budget: a fill cut short by the clock is not reproducible."""
    return ClassicEngine(time_budget=0.5)


def source_of(blob: bytes) -> SourceImage:
    """``blob`` as the worker hands it over (which would have refused it if it did not decode:
    the refusal tests skip that check)."""
    try:
        with Image.open(io.BytesIO(blob)) as image:
            mime = Image.MIME[image.format or "PNG"]
            return SourceImage("http://images.test/in", blob, mime, image.width, image.height)
    except OSError:
        return SourceImage("http://images.test/in", blob, "image/png", 1, 1)


def job_for(blob: bytes, progress: list[int] | None = None, **changes: Any) -> EngineJob:
    params: dict[str, Any] = {
        "image_url": "http://images.test/in", "image_size": "square",
        "rendering_speed": "TURBO", "style": "AUTO", "num_images": "1", "seed": 7,
    }
    params.update(changes)
    report = progress.append if progress is not None else (lambda _percent: None)
    return EngineJob("t1", REFRAME, params, {"image_url": [source_of(blob)]}, report)


async def reframe(blob: bytes, engine: ClassicEngine | None = None, **changes: Any) -> list[bytes]:
    images = await (engine or ClassicEngine()).run(job_for(blob, **changes))
    for image in images:
        assert pixels(image.data).shape[:2] == (image.height, image.width)
    return [image.data for image in images]


def size_of(blob: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(blob)).size


# ------------------------------------------------------------------ sizes


@pytest.mark.parametrize("preset", list(IMAGE_SIZE_PRESETS))
async def test_every_preset_gives_its_size(preset: str) -> None:
    chelsea = photo_file(data.chelsea(), "JPEG", quality=90)
    [out] = await reframe(chelsea, quick(), image_size=preset)
    assert size_of(out) == IMAGE_SIZE_PRESETS[preset]
    assert_source_kept(out, chelsea, IMAGE_SIZE_PRESETS[preset])


@pytest.mark.parametrize("resolution", ["1536x640", "640x1536", "832x1248"])
async def test_ideogram_resolutions_give_their_size(resolution: str) -> None:
    width, height = (int(side) for side in resolution.split("x"))
    [out] = await reframe(photo_file(), quick(), image_size=resolution)
    assert size_of(out) == (width, height)


@pytest.mark.parametrize("size", ["huge", "1000x1000", None])
async def test_unknown_size_is_input_rejected(size: str | None) -> None:
    with pytest.raises(InputRejected, match=r"^input\.image_size"):
        await reframe(photo_file(), image_size=size)


# ------------------------------------------------------------------ seeds


async def test_same_seed_same_bytes_whatever_the_style_other_seed_other_fill() -> None:
    photo = photo_file()
    [a] = await reframe(photo, seed=1, style="AUTO")
    [b] = await reframe(photo, seed=1, style="DESIGN")  # style has no effect
    [c] = await reframe(photo, seed=2)
    assert a == b
    assert not np.array_equal(pixels(a), pixels(c))
    for out in (a, c):
        assert_source_kept(out, photo, (512, 512))


async def test_a_batch_is_pairwise_different() -> None:
    photo = photo_file(data.astronaut()[64:320])  # a wide strip of the photo
    batch = await reframe(photo, num_images="4", seed=11)
    assert len(batch) == 4
    for a, b in itertools.combinations(batch, 2):
        assert not np.array_equal(pixels(a), pixels(b))
    for out in batch:
        assert_source_kept(out, photo, (512, 512))


def test_the_work_a_job_asks_for() -> None:
    work = ClassicEngine(time_budget=30).work_for(
        job_for(photo_file(), seed=None, num_images=3, image_size="portrait_4_3",
                rendering_speed=None)
    )
    assert (work.width, work.height) == (768, 1024)
    assert work.speed == "BALANCED" and work.output_format == "png"
    assert work.seed == 0 and work.image_seeds == tuple(image_seed(0, i) for i in range(3))
    assert work.budget_seconds == 30


def test_image_seeds_are_stable_distinct_and_in_range() -> None:
    # Image 0 is what reframe_array(seed=42) gives: a one-image task is reproducible by hand.
    assert image_seed(42, 0) == 42
    assert image_seed(-1, 0) == 2**31 - 1 and image_seed(2**40 + 5, 0) == 5
    seeds = [image_seed(42, index) for index in range(4)]
    assert len(set(seeds)) == 4 and all(0 <= s < 2**31 for s in seeds)
    assert seeds == [image_seed(42, index) for index in range(4)]
    assert image_seed(43, 1) != image_seed(42, 1)


# ------------------------------------------------------------------ kept pixels, aspect


async def test_a_source_at_the_canvas_size_comes_back_unchanged() -> None:
    astronaut = data.astronaut()  # 512x512, the "square" preset
    [out] = await reframe(photo_file(astronaut))
    assert np.array_equal(pixels(out), astronaut)


async def test_a_source_at_the_canvas_aspect_is_only_scaled() -> None:
    photo = photo_file(np.asarray(Image.fromarray(data.coffee()).resize((2048, 1152))))
    [out] = await reframe(photo, image_size="landscape_16_9")
    assert size_of(out) == (1024, 576)
    assert_source_kept(out, photo, (1024, 576))  # the source rectangle is the whole canvas


async def test_upscaled_and_downscaled_sources_keep_their_pixels() -> None:
    small = photo_file(data.chelsea())  # 451x300, drawn larger on square_hd
    [out] = await reframe(small, quick(), image_size="square_hd")
    assert_source_kept(out, small, (1024, 1024))
    large = photo_file(np.asarray(Image.fromarray(data.coffee()).resize((1500, 1000))), "JPEG")
    [out] = await reframe(large, quick(), image_size="portrait_16_9")
    assert_source_kept(out, large, (576, 1024))


# ------------------------------------------------------------------ input modes


def _alpha_photo() -> np.ndarray:
    rgb = data.chelsea()
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, :120] = 0  # a transparent side
    alpha[100:140] = 90  # and a translucent stripe
    return np.dstack([rgb, alpha])


async def test_transparency_is_kept_in_the_source_rectangle() -> None:
    photo = photo_file(_alpha_photo())
    [out] = await reframe(photo, quick(), image_size="portrait_4_3")
    image = Image.open(io.BytesIO(out))
    assert image.mode == "RGBA" and image.size == (768, 1024)
    assert_source_kept(out, photo, (768, 1024))
    assert (pixels(out)[..., 3] == 0).any()


@pytest.mark.parametrize(("transparent", "mode"), [(False, "RGB"), (True, "RGBA")])
async def test_palette_images(transparent: bool, mode: str) -> None:
    palette = Image.fromarray(data.coffee()).quantize(32)
    options = {"transparency": 3} if transparent else {}
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", **options)
    photo = buffer.getvalue()
    [out] = await reframe(photo)
    assert Image.open(io.BytesIO(out)).mode == mode
    assert_source_kept(out, photo, (512, 512))


@pytest.mark.parametrize(
    ("make", "mode"),
    [
        (lambda: Image.fromarray(data.camera()[:300]), "L"),
        (lambda: Image.merge("LA", [Image.fromarray(data.camera()[:300])] * 2), "RGBA"),
        (lambda: Image.fromarray(data.camera()[:300].astype(np.uint16) * 257), "L"),  # I;16
    ],
    ids=["L", "LA", "I;16"],
)
async def test_grayscale_inputs(make: Any, mode: str) -> None:
    buffer = io.BytesIO()
    make().save(buffer, "PNG")
    photo = buffer.getvalue()
    [out] = await reframe(photo, quick(), image_size="portrait_16_9")
    image = Image.open(io.BytesIO(out))
    assert image.mode == mode and image.size == (576, 1024)
    assert_source_kept(out, photo, (576, 1024))


async def test_a_tiny_source_is_reframed() -> None:
    tiny = photo_file(np.asarray(Image.fromarray(data.astronaut()).resize((16, 16))))
    [out] = await reframe(tiny, quick(), image_size="landscape_4_3")
    assert size_of(out) == (1024, 768)
    assert_source_kept(out, tiny, (1024, 768))


def _big_noisy_jpeg() -> bytes:
    """A 4000x3000 photograph with grain: about 9 MB, near the 10 MB input cap."""
    rng = np.random.default_rng(5)
    base = np.asarray(Image.fromarray(data.coffee()).resize((4000, 3000)))
    grain = rng.integers(-40, 41, size=base.shape, dtype=np.int16)
    return photo_file(np.clip(base + grain, 0, 255).astype(np.uint8), "JPEG", quality=95)


async def test_a_ten_megabyte_photograph_is_reframed() -> None:
    big = _big_noisy_jpeg()
    assert len(big) > 8_000_000
    [out] = await reframe(big, quick(), image_size="portrait_16_9")
    assert size_of(out) == (576, 1024)
    assert_source_kept(out, big, (576, 1024))


# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child of a
# large pytest process would report the parent's peak.
_PEAK_MEMORY_SCRIPT = textwrap.dedent(
    """
    import re, sys
    from imagegate.engines.classic.render import ReframeWork, render
    for path in sys.argv[1:]:
        source = open(path, "rb").read()
        work = ReframeWork(source, 1024, 576, "TURBO", 1, (1,), "png", 10.0)
        [image] = render(work)
        assert (image.width, image.height) == (1024, 576)
        del source, work, image
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's VmHWM")
def test_peak_memory_of_huge_inputs_stays_far_under_500_mb(tmp_path: Path) -> None:
    jpeg = tmp_path / "big.jpg"
    jpeg.write_bytes(_big_noisy_jpeg())
    # 40 megapixels of PNG, the fetch's pixel cap: decoded in full, then reduced at once.
    png = tmp_path / "huge.png"
    huge = Image.fromarray(data.astronaut()).resize((8000, 5000), Image.Resampling.NEAREST)
    huge.save(png, compress_level=1)
    del huge
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY_SCRIPT, str(jpeg), str(png)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.strip())
    # About 230 MB: the imports (NumPy, OpenCV, Pillow) are about 55 MB, and the 40 MP PNG
    # is decoded in full (160 MB) before it is reduced; the 10 MB JPEG stays under 100 MB.
    assert peak_mb < 400, f"peak {peak_mb} MB"


# ------------------------------------------------------------------ progress, budget, errors


async def test_progress_rises_to_100() -> None:
    seen: list[int] = []
    engine = ClassicEngine(poll_interval=0.01)
    await engine.run(job_for(photo_file(), seen, num_images=2))
    assert seen and seen[-1] == 100
    assert seen == sorted(seen) and all(0 <= p <= 100 for p in seen)
    # Relayed as it moves through the stages, not only at the end.
    assert len(set(seen)) >= 4


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="POSIX shared memory in /dev/shm")
async def test_in_a_process_pool_same_images_progress_and_no_leftover_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from imagegate.engines.classic import engine as engine_module
    from imagegate.engines.classic.progress import ProgressBlock

    names: list[str] = []

    class RecordedBlock(ProgressBlock):
        def __init__(self) -> None:
            super().__init__()
            names.append(self.name.lstrip("/"))

    monkeypatch.setattr(engine_module, "ProgressBlock", RecordedBlock)
    photo = photo_file(data.chelsea(), "JPEG")
    pool = CpuPool(processes=1)
    seen: list[int] = []
    try:
        pool.start()
        engine = ClassicEngine(pool, poll_interval=0.01)
        in_process = await engine.run(job_for(photo, seen))
        with pytest.raises(InputRejected, match=r"^input\.image_url"):
            await engine.run(job_for(b"\x89PNG\r\n\x1a\n but not really"))
    finally:
        pool.shutdown()
    in_thread = await ClassicEngine().run(job_for(photo))
    assert [i.data for i in in_process] == [i.data for i in in_thread]
    assert seen and seen[-1] == 100 and seen == sorted(seen)
    # Every job's block is unlinked, after a success and after a failure alike.
    assert len(names) == 3 and not any(os.path.exists(f"/dev/shm/{n}") for n in names)


async def test_a_tiny_budget_still_gives_the_right_size_quickly() -> None:
    photo = photo_file()
    # CPU seconds of this process, not the wall clock: a loaded machine (other processes) must
    # not fail it; the engine runs in this process's threads here.
    started = time.process_time()
    [out] = await reframe(
        photo, ClassicEngine(time_budget=0.01), image_size="square_hd", rendering_speed="QUALITY"
    )
    spent = time.process_time() - started
    assert size_of(out) == (1024, 1024)
    assert_source_kept(out, photo, (1024, 1024))
    # QUALITY on this canvas takes seconds of CPU when it has the time.
    assert spent < 2.5, f"{spent:.2f} CPU s"


def test_the_budget_is_shared_by_the_images_in_turn() -> None:
    assert image_deadlines(100.0, 12.0, 1) == [112.0]
    assert image_deadlines(100.0, 12.0, 3) == [104.0, 108.0, 112.0]


async def test_undecodable_bytes_are_input_rejected() -> None:
    with pytest.raises(InputRejected, match=r"^input\.image_url: the image could not") as caught:
        await reframe(b"\xff\xd8\xff this is no JPEG")
    assert caught.value.fail_code == "422" and not caught.value.retryable


async def test_models_it_does_not_serve() -> None:
    engine = ClassicEngine()
    assert engine.supports(REFRAME) and {REFRAME} == REFRAME_MODELS <= CLASSIC_MODELS
    assert not engine.supports("qwen/image-edit")
    job = EngineJob("t1", "qwen/image-edit", {"image_size": "square"})
    with pytest.raises(EngineUnavailable):
        await engine.run(job)


async def test_no_source_image_is_input_rejected() -> None:
    job = EngineJob("t1", REFRAME, {"image_size": "square"}, {"image_url": []})
    with pytest.raises(InputRejected, match=r"^input\.image_url"):
        await ClassicEngine().run(job)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(MemoryError(), EngineUnavailable), (ValueError("bad shape"), GenerationFailed)],
)
def test_failures_in_the_work_leave_as_retryable_engine_errors(
    monkeypatch: pytest.MonkeyPatch, raised: Exception, expected: type[Exception]
) -> None:
    from imagegate.engines.classic import reframe as reframe_module

    def broken(*args: object, **kwargs: object) -> np.ndarray:
        raise raised

    monkeypatch.setattr(reframe_module, "reframe_array", broken)
    work = ReframeWork(photo_file(), 512, 512, "TURBO", 0, (0,), "png", 10.0)
    with pytest.raises(expected) as caught:
        render(work)
    assert caught.value.retryable  # type: ignore[attr-defined]


def test_output_is_png_with_what_made_it() -> None:
    work = ReframeWork(photo_file(), 512, 512, "TURBO", 9, (9,), "png", 10.0)
    [image] = render(work)
    assert isinstance(image, OutputImage) and image.mime_type == "image/png"
    info = Image.open(io.BytesIO(image.data)).info
    assert info["Software"] == "imagegate classic reframe engine"
    assert "rendering_speed=TURBO" in info["Comment"] and "seed=9" in info["Comment"]
    assert "MOCK" not in info["Comment"].upper()
