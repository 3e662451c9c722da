"""The jobs API's new models: what the engines read (count, pixel size, format, seed) and the
default prices."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.catalog.presets import EXTRA_IMAGE_SIZE_PRESETS, output_pixels, ratio_size

from catalog_cases import minimal_input, model

IMAGEN = ["google/imagen4", "google/imagen4-ultra", "google/imagen4-fast"]

# --- pixel sizes -----------------------------------------------------------------------------

# Aspect ratios: 1024 pixels on the long side, the short side rounded to a multiple of 8.
RATIO_PIXELS = {
    "1:1": (1024, 1024),
    "9:16": (576, 1024),
    "16:9": (1024, 576),
    "3:4": (768, 1024),
    "4:3": (1024, 768),
    "3:2": (1024, 680),
    "2:3": (680, 1024),
    "5:4": (1024, 816),
    "4:5": (816, 1024),
    "21:9": (1024, 440),
    "9:21": (440, 1024),
}


@pytest.mark.parametrize(("ratio", "pixels"), RATIO_PIXELS.items())
def test_ratio_pixels(ratio: str, pixels: tuple[int, int]) -> None:
    assert ratio_size(ratio) == pixels
    assert output_pixels(ratio) == pixels


@pytest.mark.parametrize("value", ["auto", "", "0:1", "16:", "16x9", "1:1 ", "square_xl"])
def test_values_without_pixels(value: str) -> None:
    assert output_pixels(value) is None


def test_seedreams_extra_presets() -> None:
    assert EXTRA_IMAGE_SIZE_PRESETS == {
        "portrait_3_2": (680, 1024),
        "landscape_3_2": (1024, 680),
        "landscape_21_9": (1024, 440),
    }


@pytest.mark.parametrize("ratio", [r for r in RATIO_PIXELS if r != "9:21"])
@pytest.mark.parametrize("name", ["google/nano-banana", "google/nano-banana-edit"])
def test_nano_banana_output_size_follows_the_ratio(name: str, ratio: str) -> None:
    spec = model(name)
    assert spec.output_size(spec.validate(minimal_input(name, image_size=ratio))) == (
        RATIO_PIXELS[ratio]
    )


@pytest.mark.parametrize("name", ["google/nano-banana", "google/nano-banana-edit"])
def test_nano_banana_auto_leaves_the_size_to_the_engine(name: str) -> None:
    spec = model(name)
    assert spec.output_size(spec.validate(minimal_input(name, image_size="auto"))) is None
    assert spec.output_size(spec.validate(minimal_input(name))) == (1024, 1024)


@pytest.mark.parametrize("name", IMAGEN)
@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "3:4", "4:3"])
def test_imagen_output_size_follows_aspect_ratio(name: str, ratio: str) -> None:
    spec = model(name)
    validated = spec.validate(minimal_input(name, aspect_ratio=ratio))
    assert spec.output_size(validated) == RATIO_PIXELS[ratio]


@pytest.mark.parametrize(
    ("resolution", "ratio", "pixels"),
    [
        ("sd", "1:1", (768, 768)),
        ("hd", "1:1", (1024, 1024)),
        ("4k", "1:1", (4096, 4096)),
        ("sd", "16:9", (768, 432)),
        ("hd", "9:21", (440, 1024)),
        ("4k", "21:9", (4096, 1760)),
    ],
)
def test_nano_banana_pro_size_is_ratio_times_resolution(
    resolution: str, ratio: str, pixels: tuple[int, int]
) -> None:
    spec = model("nano-banana-pro")
    validated = spec.validate(
        minimal_input(spec.name, input_resolution=resolution, input_aspect_ratio=ratio)
    )
    assert spec.output_size(validated) == pixels


@pytest.mark.parametrize(
    ("resolution", "size", "pixels"),
    [
        ("1K", "square_hd", (1024, 1024)),
        ("2K", "square_hd", (2048, 2048)),
        ("4K", "square_hd", (4096, 4096)),
        ("2K", "square", (2048, 2048)),  # the resolution sets the pixels, the preset the shape
        ("1K", "landscape_16_9", (1024, 576)),
        ("4K", "portrait_16_9", (2304, 4096)),
        ("1K", "landscape_21_9", (1024, 440)),
        ("2K", "portrait_3_2", (1360, 2048)),
    ],
)
def test_seedream_size_is_preset_shape_at_the_resolution(
    resolution: str, size: str, pixels: tuple[int, int]
) -> None:
    spec = model("bytedance/seedream-v4-text-to-image")
    validated = spec.validate(
        minimal_input(spec.name, image_resolution=resolution, image_size=size)
    )
    assert spec.output_size(validated) == pixels


def test_seedream_default_size_is_square_hd_at_2k() -> None:
    spec = model("bytedance/seedream-v4-text-to-image")
    assert spec.output_size(spec.validate(minimal_input(spec.name))) == (2048, 2048)


def test_ideogram_and_qwen_sizes_follow_the_presets() -> None:
    v3 = model("ideogram/v3-text-to-image")
    assert v3.output_size(v3.validate(minimal_input(v3.name))) is None  # no default: engine's
    assert v3.output_size(v3.validate(minimal_input(v3.name, image_size="portrait_16_9"))) == (
        576,
        1024,
    )
    for name in ("ideogram/character", "qwen/text-to-image"):
        spec = model(name)
        assert spec.output_size(spec.validate(minimal_input(name))) == (1024, 1024)


# --- count, format, seed ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3, 6])
def test_seedream_counts_max_images(count: int) -> None:
    spec = model("bytedance/seedream-v4-text-to-image")
    assert spec.num_outputs(spec.validate(minimal_input(spec.name, max_images=count))) == count


@pytest.mark.parametrize(
    "name", ["google/nano-banana", "google/nano-banana-edit", "nano-banana-pro",
             "qwen/text-to-image"],
)  # fmt: skip
def test_models_without_a_count_make_one_image(name: str) -> None:
    spec = model(name)
    assert spec.num_outputs(spec.validate(minimal_input(name))) == 1


@pytest.mark.parametrize(
    ("value", "fmt"), [(None, "webp"), ("jpg", "jpeg"), ("png", "png"), ("webp", "webp")]
)
def test_nano_banana_pro_output_format(value: str | None, fmt: str) -> None:
    spec = model("nano-banana-pro")
    validated = spec.validate(minimal_input(spec.name, input_output_format=value))
    assert spec.output_format(validated) == fmt


@pytest.mark.parametrize("name", ["google/nano-banana", "google/nano-banana-edit",
                                  "qwen/text-to-image"])  # fmt: skip
def test_output_format_png_by_default_and_jpeg_on_request(name: str) -> None:
    spec = model(name)
    assert spec.output_format(spec.validate(minimal_input(name))) == "png"
    assert spec.output_format(spec.validate(minimal_input(name, output_format="jpeg"))) == "jpeg"


@pytest.mark.parametrize(
    "name", [*IMAGEN, "bytedance/seedream-v4-text-to-image", "ideogram/v3-text-to-image",
             "ideogram/character"],
)  # fmt: skip
def test_models_without_a_format_choice_make_png(name: str) -> None:
    spec = model(name)
    assert spec.output_format(spec.validate(minimal_input(name))) == "png"


@pytest.mark.parametrize(
    ("name", "seed"),
    [("google/imagen4", 7), ("bytedance/seedream-v4-text-to-image", 42.0),
     ("ideogram/character", 2**31 - 1), ("qwen/text-to-image", 0)],
)  # fmt: skip
def test_seed_is_read_as_an_int(name: str, seed: float) -> None:
    spec = model(name)
    assert spec.seed(spec.validate(minimal_input(name, seed=seed))) == int(seed)
    assert spec.seed(spec.validate(minimal_input(name))) is None


def test_nano_banana_has_no_seed() -> None:
    spec = model("google/nano-banana")
    assert spec.seed(spec.validate(minimal_input(spec.name))) is None


# --- prices (imagegate's defaults, millicredits per task) ------------------------------------

PRICES: list[tuple[str, dict[str, Any], int]] = [
    ("google/nano-banana", {}, 4000),
    ("google/nano-banana-edit", {}, 4000),
    ("nano-banana-pro", {"input_resolution": "sd"}, 8000),
    ("nano-banana-pro", {}, 22000),
    ("nano-banana-pro", {"input_resolution": "4k"}, 30000),
    ("bytedance/seedream-v4-text-to-image", {}, 5000),
    ("bytedance/seedream-v4-text-to-image", {"max_images": 6}, 30000),
    ("google/imagen4", {}, 8000),
    ("google/imagen4-ultra", {"num_images": "2"}, 24000),
    ("google/imagen4-fast", {"num_images": 4}, 16000),
    ("ideogram/v3-text-to-image", {"rendering_speed": "TURBO"}, 3500),
    ("ideogram/v3-text-to-image", {"num_images": 3}, 21000),
    ("ideogram/character", {}, 18000),
    ("ideogram/character", {"rendering_speed": "QUALITY", "num_images": "2"}, 48000),
    ("ideogram/character", {"rendering_speed": "TURBO"}, 12000),
    ("qwen/text-to-image", {}, 4000),
]


@pytest.mark.parametrize(("name", "fields", "price"), PRICES)
def test_default_prices(name: str, fields: dict[str, Any], price: int) -> None:
    spec = model(name)
    assert spec.price_milli(spec.validate(minimal_input(name, **fields))) == price
