"""The upscalers and background removal: what is special to them in the catalog.

``ModelSpec.scale``/``scaled_size`` (an upscale's output is its source's size times a factor),
the limits of their pages that the generic catalog tests do not reach (a required factor with a
documented default, a string-only factor, a stepped number), their prices, and the engines'
shared check of an upscale's size (``engines/upscaling.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.catalog import ModelSpec
from imagegate.catalog.fields import ImageUrlField, NumberField
from imagegate.catalog.pricing import PerImage
from imagegate.engines.upscaling import upscaled_size
from imagegate.errors import InputRejected

from catalog_cases import model, refusal

URL = "https://example.com/photo.png"
NANO = model("nano-banana-upscale")
TOPAZ = model("topaz/image-upscale")
CRISP = model("recraft/crisp-upscale")
REMOVE_BG = model("recraft/remove-background")


# --- the accessors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "raw", "scale"),
    [
        (NANO, {"image": URL}, 2.0),  # the page's default
        (NANO, {"image": URL, "scale": 3}, 3.0),
        (NANO, {"image": URL, "scale": 4.0}, 4.0),
        (TOPAZ, {"image_url": URL, "upscale_factor": "8"}, 8.0),
        (TOPAZ, {"image_url": URL, "upscale_factor": "1"}, 1.0),
        (CRISP, {"image": URL}, 2.0),  # no field: imagegate's fixed reading
    ],
)
def test_scale_reads_the_factor_as_a_number(
    spec: ModelSpec, raw: dict[str, Any], scale: float
) -> None:
    validated = spec.validate(raw)
    assert spec.scale(validated) == scale
    assert spec.scaled_size(validated, (300, 200)) == (round(300 * scale), round(200 * scale))


@pytest.mark.parametrize(
    ("spec", "raw"),
    [(REMOVE_BG, {"image": URL}), (model("qwen/image-edit"), {"prompt": "", "image_url": URL})],
)
def test_models_that_are_not_upscalers_have_no_scale(
    spec: ModelSpec, raw: dict[str, Any]
) -> None:
    validated = spec.validate(raw)
    assert spec.scale(validated) is None
    assert spec.scaled_size(validated, (300, 200)) is None


def _upscaler(**overrides: Any) -> ModelSpec:
    values: dict[str, Any] = {
        "name": "test/upscale",
        "fields": (
            ImageUrlField("image", required=True),
            NumberField("factor", minimum=0.1, maximum=4, default=1.5),
        ),
        "pricing": PerImage(1000),
    }
    values.update(overrides)
    return ModelSpec(**values)


def test_a_fractional_scale_rounds_each_side_and_keeps_at_least_one_pixel() -> None:
    spec = _upscaler(scale_field="factor")
    assert spec.scaled_size(spec.validate({"image": URL}), (101, 3)) == (152, 4)  # 1.5x
    assert spec.scaled_size(spec.validate({"image": URL, "factor": 0.1}), (4, 3)) == (1, 1)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"scale_field": "upscale_factor"}, "no field upscale_factor"),
        ({"fixed_scale": 0.0}, "fixed_scale must be positive"),
        ({"fixed_scale": -2.0}, "fixed_scale must be positive"),
    ],
)
def test_a_spec_with_a_broken_scale_fails_at_import(
    overrides: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        _upscaler(**overrides)


# --- the pages' limits that are special to these models ---------------------------------------


def test_topaz_factor_is_required_although_the_page_documents_a_default() -> None:
    exc = refusal(TOPAZ, {"image_url": URL})
    assert (exc.field, exc.problem) == ("input.upscale_factor", "is required")
    assert TOPAZ.json_schema()["properties"]["upscale_factor"]["default"] == "2"
    assert TOPAZ.json_schema()["required"] == ["image_url", "upscale_factor"]


@pytest.mark.parametrize("value", [2, "3", "16", "2x", ""])
def test_topaz_factor_is_one_of_the_pages_strings(value: object) -> None:
    exc = refusal(TOPAZ, {"image_url": URL, "upscale_factor": value})
    assert exc.field == "input.upscale_factor"


@pytest.mark.parametrize("value", [0, 0.5, 2.5, 5, "2", True])
def test_nano_banana_scale_is_one_to_four_in_whole_steps(value: object) -> None:
    assert refusal(NANO, {"image": URL, "scale": value}).field == "input.scale"


def test_nano_banana_face_enhance_is_a_boolean_defaulting_to_false() -> None:
    assert NANO.validate({"image": URL})["face_enhance"] is False
    assert refusal(NANO, {"image": URL, "face_enhance": "yes"}).field == "input.face_enhance"


def test_remove_background_documents_its_5_mb_limit_and_keeps_png() -> None:
    image = REMOVE_BG.json_schema()["properties"]["image"]
    assert image["x-max-bytes"] == 5 * 1024 * 1024
    assert REMOVE_BG.output_format(REMOVE_BG.validate({"image": URL})) == "png"


@pytest.mark.parametrize(("factor", "credits"), [("1", 10), ("2", 10), ("4", 20), ("8", 40)])
def test_topaz_price_follows_the_factor(factor: str, credits: int) -> None:
    validated = TOPAZ.validate({"image_url": URL, "upscale_factor": factor})
    assert TOPAZ.price_milli(validated) == credits * 1000


@pytest.mark.parametrize(("spec", "milli"), [(NANO, 1000), (CRISP, 500), (REMOVE_BG, 1000)])
def test_flat_prices(spec: ModelSpec, milli: int) -> None:
    assert spec.price_milli(spec.validate(spec.example)) == milli


# --- the engines' check of an upscale's size --------------------------------------------------


def test_upscaled_size_within_the_limits() -> None:
    validated = TOPAZ.validate({"image_url": URL, "upscale_factor": "4"})
    assert upscaled_size(TOPAZ, validated, (640, 480), engine="e", max_pixels=10**8) == (
        2560, 1920,
    )
    assert upscaled_size(REMOVE_BG, {"image": URL}, (640, 480), engine="e", max_pixels=1) is None


def test_topaz_refuses_an_output_side_past_20000_pixels() -> None:
    validated = TOPAZ.validate({"image_url": URL, "upscale_factor": "8"})
    assert upscaled_size(TOPAZ, validated, (2500, 10), engine="e", max_pixels=10**9) == (
        20000, 80,
    )
    with pytest.raises(InputRejected) as caught:
        upscaled_size(TOPAZ, validated, (2501, 10), engine="e", max_pixels=10**9)
    assert str(caught.value).startswith("input.upscale_factor: the 2501x10 source x8 makes")
    assert "20000 pixels a side" in str(caught.value)
    assert caught.value.fail_code == "422" and not caught.value.retryable


def test_an_output_past_the_engines_cap_names_the_field_and_the_cap() -> None:
    with pytest.raises(InputRejected, match=r"^input\.scale: .* mock engine's limit of 1000 "):
        upscaled_size(NANO, NANO.validate({"image": URL}), (40, 40), engine="mock",
                      max_pixels=1000)
    # A model without a scale field: the image field is named.
    with pytest.raises(InputRejected, match=r"^input\.image: the 40x40 source x2 makes 80x80"):
        upscaled_size(CRISP, {"image": URL}, (40, 40), engine="classic", max_pixels=1000)
