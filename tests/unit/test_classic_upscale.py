"""The classic engine's upscale on real photographs: sizes, an honest resampling (the output
shrunk back is the source), a mild sharpening, alpha and grayscale, EXIF turns, the caps,
memory, and its failures."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from imagegate.engines.base import EngineJob, SourceImage
from imagegate.engines.classic import upscale as upscale_module
from imagegate.engines.classic.engine import ClassicEngine
from imagegate.engines.classic.reframe import resize
from imagegate.engines.classic.upscale import (
    MAX_OUTPUT_PIXELS,
    SOFTWARE,
    UpscaleWork,
    render_upscale,
    upscale_array,
)
from imagegate.engines.mock import MOCK_NOTICE
from imagegate.errors import EngineUnavailable, GenerationFailed, InputRejected

from photos import photo_file, pixels

FIELDS = {"nano-banana-upscale": "image", "topaz/image-upscale": "image_url",
          "recraft/crisp-upscale": "image"}  # fmt: skip


def source_of(blob: bytes) -> SourceImage:
    with Image.open(io.BytesIO(blob)) as image:
        mime = Image.MIME[image.format or "PNG"]
        return SourceImage("http://images.test/in", blob, mime, image.width, image.height)


def job(model: str, blob: bytes, **params: Any) -> EngineJob:
    field = FIELDS[model]
    return EngineJob("t1", model, {field: "http://images.test/in", **params},
                     {field: [source_of(blob)]})


def laplacian_energy(image: np.ndarray) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.shape[-1] == 3 else image
    return float(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F).var())


# ------------------------------------------------------------------ the array function


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_shrunk_back_the_output_is_the_source(scale: int) -> None:
    source = data.coffee()[100:250, 200:420]
    size = (source.shape[1] * scale, source.shape[0] * scale)
    out = upscale_array(source, size, float(scale))
    assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
    back = cv2.resize(out, (source.shape[1], source.shape[0]), interpolation=cv2.INTER_AREA)
    # Resampled, not repainted: every region keeps its colour (a few levels of sharpening).
    assert np.abs(back.astype(int) - source.astype(int)).mean() < 4.0


def test_sharpening_is_mild_more_edge_than_plain_lanczos_and_no_more_than_twice() -> None:
    source = data.chelsea()[60:260, 120:400]
    size = (source.shape[1] * 3, source.shape[0] * 3)
    plain = cv2.resize(source, size, interpolation=cv2.INTER_LANCZOS4)
    ours = upscale_array(source, size, 3.0)
    ratio = laplacian_energy(ours) / laplacian_energy(plain)
    assert 1.1 < ratio < 2.0, ratio


def test_a_flat_image_stays_flat() -> None:
    flat = np.full((20, 30, 3), (40, 150, 220), np.uint8)
    assert np.array_equal(upscale_array(flat, (120, 80), 4.0), np.full((80, 120, 3), (40, 150, 220),
                                                                       np.uint8))


def test_alpha_is_resampled_and_never_sharpened() -> None:
    rgba = np.dstack([data.coffee()[:100, :150], np.zeros((100, 150), np.uint8)])
    rgba[20:80, 30:120, 3] = 255
    rgba[50:70, 60:90, 3] = 128
    out = upscale_array(rgba, (300, 200), 2.0)
    assert out.shape == (200, 300, 4)
    # Alpha exactly as the resampling left it (the reframe's premultiplied Lanczos).
    assert np.array_equal(out[..., 3], resize(rgba, (300, 200))[..., 3])


def test_a_flat_shape_over_transparency_keeps_its_colour_to_the_edge() -> None:
    # The invisible colour around the shape (black here) must neither darken nor, through the
    # unsharp mask, brighten the shape's visible edge.
    rgba = np.zeros((60, 80, 4), np.uint8)
    rgba[15:45, 20:60] = (200, 120, 40, 255)
    rgba[25:35, 30:50, 3] = 90  # a translucent window inside it
    out = upscale_array(rgba, (240, 180), 3.0)
    visible = out[..., 3] > 0
    assert visible.sum() > 30 * 40 * 9
    assert np.abs(out[visible][:, :3].astype(int) - (200, 120, 40)).max() <= 1


def test_sharpening_in_strips_is_the_whole_images(monkeypatch: pytest.MonkeyPatch) -> None:
    # Taller than a strip, with varied alpha: the strip margins must make no seam.
    rgba = np.dstack([data.astronaut()[::2, ::2], data.camera()[::2, ::2]])  # 256 x 256
    out = upscale_array(rgba, (768, 768), 3.0)
    whole = resize(rgba, (768, 768))
    monkeypatch.setattr(upscale_module, "_STRIP_ROWS", 10_000)
    upscale_module._sharpen_over_alpha(whole, 1.5)
    assert np.array_equal(out, whole)


def test_grayscale_keeps_one_channel() -> None:
    gray = data.camera()[:64, :96, None]
    assert upscale_array(gray, (192, 128), 2.0).shape == (128, 192, 1)
    assert upscale_array(gray[..., 0], (192, 128), 2.0).shape == (128, 192, 1)


def test_arrays_it_cannot_take() -> None:
    with pytest.raises(ValueError, match="uint8"):
        upscale_array(np.zeros((4, 4, 3), np.float32), (8, 8), 2.0)


# ------------------------------------------------------------------ through the engine


@pytest.mark.parametrize(
    ("model", "params", "scale"),
    [
        ("nano-banana-upscale", {"scale": 3, "face_enhance": True}, 3),
        ("topaz/image-upscale", {"upscale_factor": "4"}, 4),
        ("topaz/image-upscale", {"upscale_factor": "1"}, 1),
        ("recraft/crisp-upscale", {}, 2),  # imagegate's fixed reading
    ],
)
async def test_each_upscaler_gives_its_size_as_a_png_made_here(
    model: str, params: dict[str, Any], scale: int
) -> None:
    photo = photo_file(data.coffee()[::2, ::2])  # 300 x 200
    [image] = await ClassicEngine().run(job(model, photo, **params))
    assert (image.width, image.height) == (300 * scale, 200 * scale)
    assert image.mime_type == "image/png" and pixels(image.data).shape == (200 * scale,
                                                                           300 * scale, 3)
    info = Image.open(io.BytesIO(image.data)).info
    assert info["Software"] == SOFTWARE and f"{scale}x Lanczos" in info["Comment"]
    assert info.get("Comment") != MOCK_NOTICE and "MOCK" not in info["Comment"].upper()


async def test_an_exif_turned_photograph_turns_its_output() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 120 wide, 80 high; shown turned a quarter: 80 x 120
    Image.fromarray(data.coffee()[:80, :120]).save(buffer, "JPEG", exif=exif.tobytes())
    [image] = await ClassicEngine().run(job("recraft/crisp-upscale", buffer.getvalue()))
    assert (image.width, image.height) == (160, 240)
    assert pixels(image.data).shape[:2] == (240, 160)


async def test_an_output_past_the_pixel_cap_is_refused_naming_the_scale() -> None:
    engine = ClassicEngine(max_output_pixels=500 * 400)
    photo = photo_file(data.coffee()[::2, ::2])  # 300 x 200: 2x is 600 x 400
    with pytest.raises(InputRejected, match=r"^input\.scale: the 300x200 source x2 makes"
                                            r" 600x400 \(240000 pixels\), more than the classic"
                                            r" engine's limit of 200000 pixels") as caught:
        await engine.run(job("nano-banana-upscale", photo, scale=2))
    assert caught.value.fail_code == "422" and not caught.value.retryable
    assert MAX_OUTPUT_PIXELS == 4096 * 4096


async def test_no_source_and_background_removal_are_not_its_to_do() -> None:
    engine = ClassicEngine()
    with pytest.raises(InputRejected, match=r"^input\.image_url: no image to upscale"):
        await engine.run(EngineJob("t1", "topaz/image-upscale", {"upscale_factor": "2"}, {}))
    assert not engine.supports("recraft/remove-background")
    with pytest.raises(EngineUnavailable):
        await engine.run(EngineJob("t1", "recraft/remove-background", {"image": "x"}, {}))


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(MemoryError(), EngineUnavailable), (ValueError("bad shape"), GenerationFailed)],
)
def test_failures_in_the_work_leave_as_retryable_engine_errors(
    monkeypatch: pytest.MonkeyPatch, raised: Exception, expected: type[Exception]
) -> None:
    def broken(*args: object, **kwargs: object) -> np.ndarray:
        raise raised

    monkeypatch.setattr(upscale_module, "upscale_array", broken)
    work = UpscaleWork(photo_file(), 600, 400, 1200, 800, 2.0, "png")
    with pytest.raises(expected) as caught:
        render_upscale(work)
    assert caught.value.retryable  # type: ignore[attr-defined]


def test_undecodable_bytes_are_input_rejected_naming_the_field() -> None:
    work = UpscaleWork(b"\x89PNG\r\n\x1a\n not a png", 10, 10, 20, 20, 2.0, "png",
                       source_field="input.image_url")
    with pytest.raises(InputRejected, match=r"^input\.image_url: the image could not"):
        render_upscale(work)


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_other_output_formats(fmt: str) -> None:
    work = UpscaleWork(photo_file(), 600, 400, 900, 600, 1.5, fmt)
    [image] = render_upscale(work)
    assert image.mime_type == f"image/{fmt}"
    assert Image.open(io.BytesIO(image.data)).size == (900, 600)


_PEAK_MEMORY_SCRIPT = textwrap.dedent(
    """
    import re, sys
    from imagegate.engines.classic.upscale import UpscaleWork, render_upscale
    source = open(sys.argv[1], "rb").read()
    [image] = render_upscale(UpscaleWork(source, 1024, 1024, 4096, 4096, 4.0, "png"))
    assert (image.width, image.height) == (4096, 4096)
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's VmHWM")
def test_peak_memory_of_the_largest_rgba_upscale_stays_under_600_mb(tmp_path: Path) -> None:
    # RGBA is the costly case: its colour is resampled premultiplied, as float32.
    photo = Image.fromarray(data.astronaut()).resize((1024, 1024)).convert("RGBA")
    path = tmp_path / "rgba.png"
    photo.save(path)
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY_SCRIPT, str(path)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.strip())
    # About 480 MB: the imports are about 55 MB, the float32 RGBA output 256 MB, and its
    # alpha, the uint8 result and the encoder's copy the rest.
    assert peak_mb < 600, f"peak {peak_mb} MB"
