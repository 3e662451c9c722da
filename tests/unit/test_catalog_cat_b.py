"""What is special to the catalog's Seedream, Flux-2, Qwen, Z-Image and Wan market models
(issue 19, item 6, group B): the field types and pricing they brought (string length floors and
patterns, structured arrays and objects, a price for an absent field), the rules between
fields, and the image counts and sizes their tiers stand for. The generic checks of every
model (its example, its enums and ranges, a run on the mock engine) are the catalog's own."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import jsonschema
import pytest
from PIL import Image

from imagegate.catalog import ModelSpec, NumberField, PerImageBy, StringField, get_model
from imagegate.catalog.fields import ArrayField, ObjectField
from imagegate.engines.base import EngineJob, SourceImage
from imagegate.engines.diffusers.config import parse_diffusers
from imagegate.engines.diffusers.mapping import build_request
from imagegate.errors import InputRejected, ValidationFailed

URL = "https://example.com/photo.png"


def model(name: str) -> ModelSpec:
    spec = get_model(name)
    assert spec is not None, name
    return spec


def refusal(spec: ModelSpec, raw: dict[str, Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        spec.validate(raw)
    return caught.value


def problem(field: Any, value: object) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        field.check(value, "input.x")
    return caught.value.field, caught.value.problem


# --- StringField: min_length and pattern ---------------------------------------------------


def test_string_min_length_refuses_shorter_values_and_shows_in_the_schema() -> None:
    field = StringField("prompt", min_length=3, max_length=10)
    assert field.check("abc", "input.x") == "abc"
    assert problem(field, "ab") == ("input.x", "must be at least 3 characters (got 2)")
    assert field.json_schema() == {"type": "string", "maxLength": 10, "minLength": 3}


def test_string_pattern_must_match_the_whole_value() -> None:
    field = StringField("hex", pattern="^#[0-9A-Fa-f]{6}$")
    assert field.check("#C2D1E6", "input.x") == "#C2D1E6"
    assert problem(field, "#C2D1E6 ") == (
        "input.x",
        "must match ^#[0-9A-Fa-f]{6}$ (got '#C2D1E6 ')",
    )
    assert field.json_schema()["pattern"] == "^#[0-9A-Fa-f]{6}$"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: StringField("s", min_length=5, max_length=4), ValueError,
         "field s: need 0 <= min_length <= max_length"),
        (lambda: StringField("s", min_length=-1), ValueError,
         "field s: need 0 <= min_length <= max_length"),
        (lambda: StringField("s", pattern="(unclosed"), re.error, "missing \\)"),
        (lambda: StringField("s", min_length=3, default="ab"), ValueError,
         "field s: 'ab' must be at least 3 characters"),
    ],
)  # fmt: skip
def test_a_string_spec_that_contradicts_itself_fails_at_definition(
    make: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


# --- ArrayField and ObjectField ------------------------------------------------------------

PALETTE = ArrayField(
    "color_palette",
    min_items=3,
    max_items=4,
    items=ObjectField(
        "color",
        properties=(
            StringField("hex", required=True, pattern="^#[0-9A-Fa-f]{6}$"),
            StringField("ratio", pattern=r"^\d{1,3}\.\d{2}%$"),
        ),
    ),
)
BOXES = ArrayField(
    "bbox_list",
    items=ArrayField(
        "boxes",
        max_items=2,
        items=ArrayField("box", min_items=4, max_items=4, items=NumberField("c", integer=True)),
    ),
)


def colors(*hexes: str) -> list[dict[str, str]]:
    return [{"hex": h, "ratio": "25.00%"} for h in hexes]


def test_structured_values_are_kept_as_sent() -> None:
    palette = colors("#000000", "#FFFFFF", "#C2D1E6")
    assert PALETTE.check(palette, "input.color_palette") is palette
    assert BOXES.check([[], [[0, 0, 10, 10], [5, 5, 6, 6]]], "input.bbox_list")


@pytest.mark.parametrize(
    ("field", "value", "path", "message"),
    [
        (PALETTE, "red", "input.x", "must be an array (got 'red')"),
        (PALETTE, colors("#000000"), "input.x", "must hold at least 3 items (got 1)"),
        (PALETTE, colors(*["#000000"] * 5), "input.x", "must hold at most 4 items (got 5)"),
        (PALETTE, [*colors("#000000", "#111111"), "blue"], "input.x[2]",
         "must be an object (got 'blue')"),
        (PALETTE, [*colors("#000000", "#111111"), {"ratio": "1.00%"}], "input.x[2].hex",
         "is required"),
        (PALETTE, [*colors("#000000", "#111111"), {"hex": "#12345"}], "input.x[2].hex",
         "must match ^#[0-9A-Fa-f]{6}$ (got '#12345')"),
        (BOXES, [[[0, 0, 10]]], "input.x[0][0]", "must hold at least 4 items (got 3)"),
        (BOXES, [[[0, 0, 10, 1.5]]], "input.x[0][0][3]", "must be an integer (got 1.5)"),
        (BOXES, [[[0, 0, 1, 1]] * 3], "input.x[0]", "must hold at most 2 items (got 3)"),
    ],
)  # fmt: skip
def test_a_wrong_value_deep_inside_names_its_place(
    field: Any, value: object, path: str, message: str
) -> None:
    assert problem(field, value) == (path, message)


def test_structured_schemas_are_valid_json_schema_and_say_the_limits() -> None:
    for field in (PALETTE, BOXES):
        jsonschema.Draft202012Validator.check_schema(field.json_schema())
    schema = PALETTE.json_schema()
    assert (schema["minItems"], schema["maxItems"]) == (3, 4)
    assert schema["items"]["required"] == ["hex"]
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(colors("#000000", "#FFFFFF", "#C2D1E6"))
    assert not validator.is_valid(colors("#000000", "#FFFFFF", "#C2D1E"))


def test_an_array_spec_with_crossed_bounds_fails_at_definition() -> None:
    with pytest.raises(ValueError, match="min_items"):
        ArrayField("a", items=NumberField("n"), min_items=3, max_items=2)


# --- pricing by a field that may be absent -------------------------------------------------


def test_per_image_by_prices_an_absent_field_as_told() -> None:
    pricing = PerImageBy("resolution", {"1K": 6400, "2K": 12000}, absent="1K")
    assert pricing.per_image_milli({}) == 6400
    assert pricing.per_image_milli({"resolution": "2K"}) == 12000
    with pytest.raises(KeyError):
        PerImageBy("resolution", {"1K": 1}).per_image_milli({})


def test_qwen3_pro_text_to_image_without_resolution_is_priced_and_sized_as_1k() -> None:
    spec = model("qwen3/pro-text-to-image")
    validated = spec.validate({"prompt": "a koi pond"})
    assert "resolution" not in validated
    assert spec.price_milli(validated) == 6400
    assert spec.output_size(validated) == (1024, 576)  # 16:9, the default image_size
    two_k = spec.validate({"prompt": "a koi pond", "resolution": "2K", "image_size": "1:1"})
    assert (spec.price_milli(two_k), spec.output_size(two_k)) == (12000, (2048, 2048))


# --- sizes and counts of the tiers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fields", "size"),
    [
        ("seedream/4.5-text-to-image", {"quality": "high", "aspect_ratio": "16:9"}, (4096, 2304)),
        ("seedream/5-lite-text-to-image", {"quality": "high", "aspect_ratio": "1:1"},
         (3072, 3072)),
        ("seedream/5-lite-text-to-image", {"quality": "ultra", "aspect_ratio": "9:16"},
         (2304, 4096)),
        ("seedream/5-pro-text-to-image", {"quality": "basic", "aspect_ratio": "3:2"},
         (1024, 680)),
        ("seedream/5-flash-text-to-image", {"size": "1.5K", "aspect_ratio": "21:9"},
         (1536, 664)),
        ("flux-2/flex-text-to-image", {"resolution": "2K", "aspect_ratio": "4:3"}, (2048, 1536)),
        ("z-image", {"aspect_ratio": "3:4"}, (768, 1024)),
        ("qwen2/text-to-image", {}, (1024, 576)),
        ("bytedance/seedream-v4-edit", {"image_urls": [URL], "image_resolution": "4K",
                                        "image_size": "landscape_21_9"}, (4096, 1760)),
    ],
)  # fmt: skip
def test_a_tier_stands_for_its_pixels(
    name: str, fields: dict[str, Any], size: tuple[int, int]
) -> None:
    spec = model(name)
    required = {"prompt": "a lighthouse at dusk", "quality": "basic", "aspect_ratio": "1:1"}
    raw = {key: value for key, value in required.items() if key in {f.name for f in spec.fields}}
    assert spec.output_size(spec.validate({**raw, **fields})) == size


def test_seedream_5_pro_prices_by_quality_and_lite_does_not() -> None:
    pro, lite = model("seedream/5-pro-text-to-image"), model("seedream/5-lite-text-to-image")
    base = {"prompt": "a lighthouse", "aspect_ratio": "1:1"}
    assert pro.price_milli(pro.validate({**base, "quality": "basic"})) == 7000
    assert pro.price_milli(pro.validate({**base, "quality": "high"})) == 14000
    assert lite.price_milli(lite.validate({**base, "quality": "ultra"})) == 5500


@pytest.mark.parametrize("name", ["seedream/5-lite-text-to-image", "flux-2/pro-text-to-image"])
def test_prompts_shorter_than_the_pages_floor_are_refused(name: str) -> None:
    spec = model(name)
    raw = dict(spec.example, prompt="ab")
    assert (refusal(spec, raw).field, refusal(spec, raw).problem) == (
        "input.prompt",
        "must be at least 3 characters (got 2)",
    )


def test_flux2_auto_ratio_is_for_image_to_image_only() -> None:
    t2i, i2i = model("flux-2/pro-text-to-image"), model("flux-2/pro-image-to-image")
    assert refusal(t2i, dict(t2i.example, aspect_ratio="auto")).field == "input.aspect_ratio"
    validated = i2i.validate(dict(i2i.example, aspect_ratio="auto"))
    assert i2i.output_size(validated) is None  # the engine takes the first input image's size


# --- Qwen Image 2.1: background, format and mask ------------------------------------------


QWEN21 = "qwen2-1/image-to-image"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"background": "transparent", "output_format": "jpeg"}, "input.output_format",
         "must be png or webp when background is transparent"),
        ({"mask_url": URL, "image_urls": [URL, URL]}, "input.image_urls",
         "must hold exactly one URL with mask_url"),
        ({"mask_url": URL, "background": "transparent"}, "input.background",
         "must be opaque with mask_url"),
    ],
)  # fmt: skip
def test_qwen21_rules_between_fields(fields: dict[str, Any], field: str, message: str) -> None:
    spec = model(QWEN21)
    error = refusal(spec, {"prompt": "edit it", "image_urls": [URL], **fields})
    assert (error.field, error.problem) == (field, message)


def test_qwen21_accepts_what_the_rules_allow() -> None:
    spec = model(QWEN21)
    spec.validate({"prompt": "p", "image_urls": [URL], "mask_url": URL})
    spec.validate({"prompt": "p", "image_urls": [URL], "background": "transparent",
                   "output_format": "webp"})  # fmt: skip
    t2i = model("qwen2-1/text-to-image")
    assert refusal(t2i, {"prompt": "p", "background": "transparent", "output_format": "jpeg"})
    assert "mask_url" not in {f.name for f in t2i.fields}


# --- Wan 2.7 Image: the mode decides the count ---------------------------------------------


@pytest.mark.parametrize("name", ["wan/2-7-image", "wan/2-7-image-pro"])
def test_wan_counts_default_by_mode_and_price_per_image(name: str) -> None:
    spec = model(name)
    per_image = spec.pricing.per_image_milli({})
    standard = spec.validate({"prompt": "a bowl of noodles"})
    sequential = spec.validate({"prompt": "a bowl of noodles", "enable_sequential": True})
    assert "n" not in standard  # the page gives n no single default
    assert (spec.num_outputs(standard), spec.num_outputs(sequential)) == (4, 12)
    assert spec.price_milli(sequential) == 12 * per_image
    assert spec.num_outputs(spec.validate({"prompt": "p", "n": 2})) == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"n": 5}, "input.n", "must be between 1 and 4 when enable_sequential is false (got 5)"),
        ({"n": 13, "enable_sequential": True}, "input.n", "must be between 1 and 12 (got 13)"),
        ({"resolution": "4K", "input_urls": [URL]}, "input.resolution",
         "4K is for text to image in the standard mode only (no input_urls, no"
         " enable_sequential)"),
        ({"resolution": "4K", "enable_sequential": True}, "input.resolution",
         "4K is for text to image in the standard mode only (no input_urls, no"
         " enable_sequential)"),
        ({"bbox_list": [[], []], "input_urls": [URL]}, "input.bbox_list",
         "must hold one entry per input_urls image (1), got 2"),
        ({"color_palette": [{"hex": "#FFFFFF", "ratio": "50%"}] * 3},
         "input.color_palette[0].ratio", r"must match ^\d{1,3}\.\d{2}%$ (got '50%')"),
    ],
)  # fmt: skip
def test_wan_rules_between_fields(fields: dict[str, Any], field: str, message: str) -> None:
    error = refusal(model("wan/2-7-image"), {"prompt": "a bowl of noodles", **fields})
    assert (error.field, error.problem) == (field, message)


def test_wan_accepts_a_sequential_group_of_twelve_and_4k_text_to_image() -> None:
    spec = model("wan/2-7-image-pro")
    group = spec.validate({"prompt": "p", "enable_sequential": True, "n": 12})
    assert spec.num_outputs(group) == 12
    big = spec.validate({"prompt": "p", "resolution": "4K", "aspect_ratio": "8:1"})
    assert spec.output_size(big) == (4096, 512)


def test_wan_schema_carries_the_structured_fields() -> None:
    schema = model("wan/2-7-image").json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    palette = schema["properties"]["color_palette"]
    assert (palette["minItems"], palette["maxItems"]) == (3, 10)
    box = schema["properties"]["bbox_list"]["items"]["items"]
    assert (box["minItems"], box["maxItems"], box["items"]["type"]) == (4, 4, "integer")
    json.dumps(schema)


# --- the diffusers engine: which of these models it serves, and how ------------------------

NEW_TEXT_MODELS = [
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
]


def diffusers_request(
    model_name: str,
    fields: dict[str, Any],
    pipeline: str = "FluxPipeline",
    images: dict[str, list[SourceImage]] | None = None,
) -> Any:
    config = parse_diffusers(
        {"pipelines": {"p": {"pipeline": pipeline, "weights": "/w", "models": [model_name]}}}
    )
    job = EngineJob("t", model_name, model(model_name).validate(fields), images or {})
    return build_request("p", config.pipelines["p"], job)


@pytest.mark.parametrize("name", NEW_TEXT_MODELS)
def test_text_pipelines_serve_the_plain_text_to_image_models_at_their_size(name: str) -> None:
    spec = model(name)
    validated = spec.validate(spec.example)
    request = diffusers_request(name, dict(spec.example))
    assert request.size == spec.output_size(validated)
    assert len(request.rows) == spec.num_outputs(validated)
    assert request.rows[0].prompt == spec.example["prompt"]
    assert request.rows[0].image is None


def test_qwen3_on_a_qwen_pipeline_passes_its_negative_prompt_and_default_seed() -> None:
    request = diffusers_request(
        "qwen3/text-to-image",
        {"prompt": "a koi pond", "negative_prompt": "text", "resolution": "2K"},
        pipeline="QwenImagePipeline",
    )
    assert [(row.seed, row.negative_prompt) for row in request.rows] == [(1, "text")]
    assert request.size == (2048, 1152)


def png(size: tuple[int, int]) -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return SourceImage(URL, buffer.getvalue(), "image/png", *size)


def test_qwen2_image_edit_runs_on_the_edit_pipeline_with_its_source() -> None:
    request = diffusers_request(
        "qwen2/image-edit",
        {"prompt": "make it blue", "image_url": URL, "image_size": "4:3", "seed": 3},
        pipeline="QwenImageEditPipeline",
        images={"image_url": [png((64, 48))]},
    )
    assert request.size == (1024, 768)
    assert [row.seed for row in request.rows] == [3]
    assert request.rows[0].image is not None and request.rows[0].image.size == (64, 48)
    with pytest.raises(InputRejected, match=r"input\.image_url: no image to edit"):
        diffusers_request(
            "qwen2/image-edit",
            {"prompt": "p", "image_url": URL},
            pipeline="QwenImageEditPipeline",
        )


@pytest.mark.parametrize(
    ("name", "pipeline"),
    [
        ("qwen/image-to-image", "QwenImageEditPipeline"),
        ("qwen2-1/text-to-image", "FluxPipeline"),
        ("wan/2-7-image", "FluxPipeline"),
        ("seedream/5-lite-image-to-image", "FluxPipeline"),
        ("flux-2/pro-image-to-image", "FluxKontextPipeline"),
    ],
)
def test_models_a_pipeline_would_serve_only_in_part_are_refused_by_the_config(
    name: str, pipeline: str
) -> None:
    with pytest.raises(ValueError, match=f"{pipeline} cannot serve '{name}'"):
        parse_diffusers({"pipelines": {"p": {"pipeline": pipeline, "weights": "/w",
                                             "models": [name]}}})  # fmt: skip
