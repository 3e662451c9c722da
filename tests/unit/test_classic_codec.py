"""The classic engine's codec: every input mode to 1, 3 or 4 channels, upright, shrunk early;
outputs in PNG, JPEG and WebP with alpha, grayscale and metadata handled per format."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageOps
from skimage import data

from imagegate.engines.classic.codec import decode, encode
from imagegate.engines.classic.geometry import place
from imagegate.errors import InputRejected

BIG_CANVAS = (2048, 2048)  # larger than every photo here: nothing is reduced


def file_of(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def with_alpha(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with a transparent left third and a half-transparent stripe."""
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, : rgb.shape[1] // 3] = 0
    alpha[: rgb.shape[0] // 4] = 128
    return np.dstack([rgb, alpha])


# ------------------------------------------------------------------ modes


def test_rgb_photo_is_decoded_exactly() -> None:
    photo = data.coffee()
    assert np.array_equal(decode(file_of(Image.fromarray(photo)), BIG_CANVAS), photo)


def test_rgba_keeps_its_alpha() -> None:
    rgba = with_alpha(data.astronaut())
    decoded = decode(file_of(Image.fromarray(rgba)), BIG_CANVAS)
    assert decoded.shape == rgba.shape and np.array_equal(decoded, rgba)


def _palette(transparent: bool) -> Image.Image:
    image = Image.fromarray(data.chelsea()).quantize(64)
    if transparent:
        image.info["transparency"] = 0
    return image


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_becomes_rgb_or_rgba_with_its_transparency(transparent: bool) -> None:
    image = _palette(transparent)
    decoded = decode(file_of(image), BIG_CANVAS)
    indices = np.asarray(image)
    if transparent:
        assert decoded.shape[2] == 4
        assert np.array_equal(decoded[..., 3] == 0, indices == 0)
        assert (indices == 0).any()
    else:
        assert decoded.shape[2] == 3
    assert np.array_equal(decoded[..., :3], np.asarray(image.convert("RGB")))


def test_grayscale_stays_one_channel() -> None:
    camera = data.camera()
    decoded = decode(file_of(Image.fromarray(camera)), BIG_CANVAS)
    assert decoded.shape == (*camera.shape, 1) and np.array_equal(decoded[..., 0], camera)


def test_grayscale_with_a_transparent_value_becomes_rgba() -> None:
    camera = data.camera()
    decoded = decode(file_of(Image.fromarray(camera), transparency=0), BIG_CANVAS)
    assert decoded.shape == (*camera.shape, 4)
    assert np.array_equal(decoded[..., 3] == 0, camera == 0)
    assert np.array_equal(decoded[..., 0], camera)


def test_gray_with_alpha_becomes_rgba() -> None:
    camera = data.camera()
    alpha = with_alpha(np.dstack([camera] * 3))[..., 3]
    image = Image.merge("LA", [Image.fromarray(camera), Image.fromarray(alpha)])
    decoded = decode(file_of(image), BIG_CANVAS)
    assert decoded.shape == (*camera.shape, 4)
    visible = alpha > 0
    for channel in range(3):
        assert np.array_equal(decoded[..., channel][visible], camera[visible])
    assert np.array_equal(decoded[..., 3], alpha)


def test_sixteen_bit_gray_is_scaled_not_clipped() -> None:
    values = np.array([[0, 257, 32896, 65535], [128, 65000, 1000, 40000]], np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    decoded = decode(file_of(image), BIG_CANVAS)
    assert decoded.shape == (2, 4, 1) and decoded.dtype == np.uint8
    assert decoded[..., 0].tolist() == [[0, 1, 128, 255], [0, 253, 4, 156]]


def test_sixteen_bit_gray_with_a_colour_key_still_decodes() -> None:
    values = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)
    decoded = decode(file_of(Image.fromarray(values), transparency=0), BIG_CANVAS)
    assert decoded.shape == (64, 64, 1)  # the key is dropped, the gray kept


def test_one_bit_becomes_gray() -> None:
    bits = data.camera() > 128
    decoded = decode(file_of(Image.fromarray(bits)), BIG_CANVAS)
    assert decoded.shape == (*bits.shape, 1)
    assert set(np.unique(decoded).tolist()) == {0, 255}


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.fromarray(data.coffee()).convert("CMYK")
    decoded = decode(file_of(cmyk, "JPEG", quality=95), BIG_CANVAS)
    assert decoded.shape == (400, 600, 3)
    assert np.abs(decoded.astype(int) - data.coffee()).mean() < 8


# ------------------------------------------------------------------ orientation, shrinking


def _rotated_jpeg(size: tuple[int, int], orientation: int) -> bytes:
    image = Image.fromarray(data.coffee()).resize(size)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return file_of(image, "JPEG", quality=90, exif=exif.tobytes())


def test_exif_orientation_is_applied() -> None:
    jpeg = _rotated_jpeg((600, 400), 6)
    decoded = decode(jpeg, BIG_CANVAS)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(jpeg)))
    assert decoded.shape == (600, 400, 3)
    assert np.array_equal(decoded, np.asarray(upright))


def test_a_turned_jpeg_is_decoded_large_enough_for_its_upright_canvas() -> None:
    # Stored 4000x2000, shown 2000x4000: on a 576x1024 canvas it is drawn 512x1024. Shrinking
    # by the stored size against the unturned canvas would give a 500x1000 source.
    decoded = decode(_rotated_jpeg((4000, 2000), 6), (576, 1024))
    assert decoded.shape[0] >= 1024 and decoded.shape[0] < 2 * 1024
    assert decoded.shape[1] >= 512


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_big_images_are_shrunk_to_under_twice_their_drawn_size(fmt: str) -> None:
    image = Image.fromarray(data.coffee()).resize((3600, 2400))
    canvas = (1024, 576)
    fit = place(3600, 2400, *canvas)
    options = {"compress_level": 1} if fmt == "PNG" else {}
    decoded = decode(file_of(image, fmt, **options), canvas)
    height, width = decoded.shape[:2]
    assert fit.inner_width <= width < 2 * fit.inner_width
    assert fit.inner_height <= height < 2 * fit.inner_height
    # Still the same picture: compare with a plain area-filtered copy.
    expected = np.asarray(image.resize((width, height), Image.Resampling.BOX))
    assert np.abs(decoded.astype(int) - expected).mean() < 3


def test_palette_is_converted_before_it_is_shrunk() -> None:
    # Averaging palette indices would give colours from elsewhere in the palette.
    image = _palette(transparent=False).resize((1800, 1200), Image.Resampling.NEAREST)
    decoded = decode(file_of(image, compress_level=1), (512, 512))
    assert decoded.shape == (400, 600, 3)  # drawn 512x341: reduced by 3
    expected = np.asarray(image.convert("RGB").reduce(3))
    assert np.array_equal(decoded, expected)


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "make",
    [
        lambda: b"not an image at all",
        lambda: file_of(Image.fromarray(data.coffee()))[:3000],  # truncated
        lambda: file_of(Image.fromarray(data.coffee()), "GIF"),  # not an accepted type
    ],
    ids=["text", "truncated-png", "gif"],
)
def test_undecodable_bytes_are_input_rejected(make: Callable[[], bytes]) -> None:
    with pytest.raises(InputRejected, match=r"^input\.image_url: the image could not be decoded"):
        decode(make(), (512, 512), field="input.image_url")


# ------------------------------------------------------------------ encoding

TEXT = {"Software": "imagegate classic reframe engine", "Comment": "speed TURBO, seed 1"}


def opened(blob: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(blob))
    image.load()
    return image


def test_png_keeps_pixels_alpha_gray_and_text() -> None:
    for array in (data.coffee(), with_alpha(data.astronaut()), data.camera()[..., None]):
        image = opened(encode(array, "png", TEXT))
        assert image.format == "PNG"
        assert image.mode == {3: "RGB", 4: "RGBA", 1: "L"}[array.shape[2]]
        assert np.array_equal(np.asarray(image).reshape(array.shape), array)
        assert image.info["Software"] == TEXT["Software"]
        assert image.info["Comment"] == TEXT["Comment"]


def test_jpeg_composites_alpha_over_white_and_keeps_gray() -> None:
    rgba = with_alpha(data.astronaut())
    image = opened(encode(rgba, "jpeg", TEXT))
    assert image.format == "JPEG" and image.mode == "RGB"
    pixels = np.asarray(image).astype(int)
    transparent = rgba[..., 3] == 0
    assert pixels[transparent].mean() > 250  # white where nothing was
    opaque = rgba[..., 3] == 255
    assert np.abs(pixels[opaque] - rgba[..., :3][opaque]).mean() < 6
    assert image.getexif()[ExifTags.Base.Software] == TEXT["Software"]
    assert opened(encode(data.camera()[..., None], "jpeg", TEXT)).mode == "L"


def test_webp_keeps_alpha_and_makes_gray_rgb() -> None:
    rgba = with_alpha(data.astronaut())
    image = opened(encode(rgba, "webp", TEXT))
    assert image.format == "WEBP" and image.mode == "RGBA"
    assert np.array_equal(np.asarray(image)[..., 3] == 0, rgba[..., 3] == 0)
    assert image.getexif()[ExifTags.Base.Software] == TEXT["Software"]
    assert opened(encode(data.camera()[..., None], "webp", TEXT)).mode == "RGB"
