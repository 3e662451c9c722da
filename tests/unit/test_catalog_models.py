"""The jobs API's text-to-image and multi-image models (spec 002, provider-notes.md): the
spec's examples, defaults, and every documented limit with one value inside and one outside."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalog_cases import MINIMAL_INPUTS, SIZES, URL, minimal_input, model, refusal
from spec_examples import SPEC_002_IDEOGRAM_V3_PARAMETERS, SPEC_002_NANO_BANANA_PRO_REQUEST

NEW_MODELS = list(MINIMAL_INPUTS)
IMAGEN = ["google/imagen4", "google/imagen4-ultra", "google/imagen4-fast"]
RATIOS = ["1:1", "9:16", "16:9", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9", "auto"]
SEEDREAM_SIZES = [
    "square", "square_hd", "portrait_4_3", "portrait_3_2", "portrait_16_9",
    "landscape_4_3", "landscape_3_2", "landscape_16_9", "landscape_21_9",
]  # fmt: skip

# --- the spec's own examples -----------------------------------------------------------------


def test_spec_002_nano_banana_pro_example_validates_with_defaults_applied() -> None:
    request = json.loads(SPEC_002_NANO_BANANA_PRO_REQUEST)
    spec = model(request["model"])
    assert spec.validate(request["input"]) == {
        **request["input"],
        "input_aspect_ratio": "1:1",  # spec 002's default; input_image_input has none
    }
    assert spec.example == request["input"]


def test_spec_002_ideogram_v3_example_validates_with_defaults_applied() -> None:
    raw = json.loads(SPEC_002_IDEOGRAM_V3_PARAMETERS)
    spec = model("ideogram/v3-text-to-image")
    validated = spec.validate(raw)
    assert validated == raw  # every documented default is overridden; the rest have none
    assert spec.num_outputs(validated) == 2
    assert spec.price_milli(validated) == 2 * 10000
    assert spec.example == raw


# --- defaults --------------------------------------------------------------------------------

DEFAULTS: dict[str, dict[str, Any]] = {
    "google/nano-banana": {"output_format": "png", "image_size": "1:1"},
    "google/nano-banana-edit": {"output_format": "png", "image_size": "1:1"},
    "nano-banana-pro": {
        "input_aspect_ratio": "1:1", "input_resolution": "hd", "input_output_format": "webp",
    },
    "bytedance/seedream-v4-text-to-image": {
        "image_size": "square_hd", "image_resolution": "2K", "max_images": 1,
    },
    **{name: {"aspect_ratio": "1:1", "num_images": "1"} for name in IMAGEN},
    "ideogram/v3-text-to-image": {
        "rendering_speed": "BALANCED", "style": "AUTO", "num_images": "1",
    },
    "ideogram/character": {
        "rendering_speed": "BALANCED", "style": "AUTO", "expand_prompt": True,
        "image_size": "square_hd", "num_images": "1",
    },
    "qwen/text-to-image": {
        "image_size": "square_hd", "num_inference_steps": 30, "guidance_scale": 2.5,
        "output_format": "png",
    },
}  # fmt: skip


@pytest.mark.parametrize("name", NEW_MODELS)
def test_minimal_input_gets_the_documented_defaults(name: str) -> None:
    spec = model(name)
    assert spec.validate(MINIMAL_INPUTS[name]) == {**MINIMAL_INPUTS[name], **DEFAULTS[name]}


@pytest.mark.parametrize("name", NEW_MODELS)
def test_own_example_validates_and_is_priced(name: str) -> None:
    spec = model(name)
    validated = spec.validate(spec.example)
    assert {k: validated[k] for k in spec.example} == dict(spec.example)
    assert spec.price_milli(validated) > 0
    assert spec.description


@pytest.mark.parametrize("name", NEW_MODELS)
def test_prompt_is_required(name: str) -> None:
    field = "input_prompt" if name == "nano-banana-pro" else "prompt"
    raw = minimal_input(name)
    del raw[field]
    error = refusal(model(name), raw)
    assert (error.field, error.problem) == (f"input.{field}", "is required")


def test_seedream_resolution_default_is_spec_002s_2k_not_the_notes_1k() -> None:
    spec = model("bytedance/seedream-v4-text-to-image")
    assert spec.validate(minimal_input(spec.name))["image_resolution"] == "2K"


# --- string lengths --------------------------------------------------------------------------

LENGTHS = [
    ("google/nano-banana", "prompt", 5000),
    ("google/nano-banana-edit", "prompt", 5000),
    ("bytedance/seedream-v4-text-to-image", "prompt", 5000),
    *[(name, field, 5000) for name in IMAGEN for field in ("prompt", "negative_prompt")],
    ("ideogram/v3-text-to-image", "prompt", 5000),
    ("ideogram/v3-text-to-image", "negative_prompt", 5000),
    ("qwen/text-to-image", "prompt", 5000),
    ("qwen/text-to-image", "negative_prompt", 500),
]


@pytest.mark.parametrize(("name", "field", "limit"), LENGTHS, ids=lambda v: str(v))
def test_string_length_limits(name: str, field: str, limit: int) -> None:
    spec = model(name)
    assert spec.validate(minimal_input(name, **{field: "a" * limit}))[field] == "a" * limit
    error = refusal(spec, minimal_input(name, **{field: "a" * (limit + 1)}))
    assert (error.field, error.problem) == (
        f"input.{field}",
        f"must be at most {limit} characters (got {limit + 1})",
    )


@pytest.mark.parametrize(
    ("name", "field"),
    [("nano-banana-pro", "input_prompt"), ("ideogram/character", "prompt"),
     ("ideogram/character", "negative_prompt")],
)  # fmt: skip
def test_prompts_without_a_documented_limit_take_long_text(name: str, field: str) -> None:
    assert model(name).validate(minimal_input(name, **{field: "a" * 20000}))[field]


# --- enums -----------------------------------------------------------------------------------

KIE_RATIOS = ["1:1", "9:16", "16:9", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9"]
ENUMS: list[tuple[str, str, list[str]]] = [
    ("google/nano-banana", "output_format", ["png", "jpeg"]),
    ("google/nano-banana", "image_size", RATIOS),
    ("google/nano-banana-edit", "output_format", ["png", "jpeg"]),
    ("google/nano-banana-edit", "image_size", RATIOS),
    ("nano-banana-pro", "input_aspect_ratio",
     ["1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "21:9", "9:21"]),
    ("nano-banana-pro", "input_resolution", ["sd", "hd", "4k"]),
    ("nano-banana-pro", "input_output_format", ["jpg", "png", "webp"]),
    # Spec 002's "string (aspect ratio)" beside the notes' presets.
    ("bytedance/seedream-v4-text-to-image", "image_size", SEEDREAM_SIZES + KIE_RATIOS),
    ("bytedance/seedream-v4-text-to-image", "image_resolution", ["1K", "2K", "4K"]),
    *[(name, "aspect_ratio", ["1:1", "16:9", "9:16", "3:4", "4:3"]) for name in IMAGEN],
    ("ideogram/v3-text-to-image", "rendering_speed", ["TURBO", "BALANCED", "QUALITY"]),
    ("ideogram/v3-text-to-image", "style", ["AUTO", "GENERAL", "REALISTIC", "DESIGN"]),
    ("ideogram/v3-text-to-image", "image_size", SIZES + KIE_RATIOS),
    ("ideogram/character", "rendering_speed", ["TURBO", "BALANCED", "QUALITY"]),
    ("ideogram/character", "style", ["AUTO", "REALISTIC", "FICTION"]),
    ("ideogram/character", "image_size", SIZES + KIE_RATIOS),
    ("qwen/text-to-image", "image_size", SIZES),
    ("qwen/text-to-image", "output_format", ["png", "jpeg"]),
    ("qwen/text-to-image", "acceleration", ["none", "regular", "high"]),
]  # fmt: skip
ENUM_IDS = [f"{name}:{field}" for name, field, _ in ENUMS]


@pytest.mark.parametrize(("name", "field", "choices"), ENUMS, ids=ENUM_IDS)
def test_every_enum_value_is_accepted_and_others_refused(
    name: str, field: str, choices: list[str]
) -> None:
    spec = model(name)
    for choice in choices:
        assert spec.validate(minimal_input(name, **{field: choice}))[field] == choice
    for value in ["huge", choices[0].swapcase() + "x", ""]:
        error = refusal(spec, minimal_input(name, **{field: value}))
        assert (error.field, error.problem) == (
            f"input.{field}",
            f"must be one of {', '.join(choices)} (got {value!r})",
        )


def test_character_style_refuses_the_v3_only_styles() -> None:
    for style in ("GENERAL", "DESIGN"):
        error = refusal(model("ideogram/character"), minimal_input("ideogram/character",
                                                                    style=style))
        assert error.field == "input.style"


# --- counts and numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [*IMAGEN, "ideogram/v3-text-to-image", "ideogram/character"]
)
def test_num_images_one_to_four(name: str) -> None:
    spec = model(name)
    for value in ("1", "4", 1, 4):
        validated = spec.validate(minimal_input(name, num_images=value))
        assert spec.num_outputs(validated) == int(value)
    for value in ("0", "5", 5):
        error = refusal(spec, minimal_input(name, num_images=value))
        assert error.field == "input.num_images"


NUMBERS = [
    ("bytedance/seedream-v4-text-to-image", "max_images", [1, 6], [0, 7, 2.5, "3"]),
    ("qwen/text-to-image", "num_inference_steps", [2, 250], [1, 251, 30.5]),
    ("qwen/text-to-image", "guidance_scale", [0, 2.5, 20], [-0.1, 20.1, "2"]),
    *[(name, "seed", [0, 42, 2**31 - 1], [1.5, "42", -1, 2**31, 2**64]) for name in
      [*IMAGEN, "bytedance/seedream-v4-text-to-image", "ideogram/v3-text-to-image",
       "ideogram/character", "qwen/text-to-image"]],
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "field", "inside", "outside"), NUMBERS, ids=[f"{n}:{f}" for n, f, *_ in NUMBERS]
)
def test_number_limits(name: str, field: str, inside: list[Any], outside: list[Any]) -> None:
    spec = model(name)
    for value in inside:
        assert spec.validate(minimal_input(name, **{field: value}))[field] == value
    for value in outside:
        assert refusal(spec, minimal_input(name, **{field: value})).field == f"input.{field}"


def test_seedream_max_images_refusal_names_the_range() -> None:
    spec = model("bytedance/seedream-v4-text-to-image")
    error = refusal(spec, minimal_input(spec.name, max_images=7))
    assert (error.field, error.problem) == ("input.max_images", "must be between 1 and 6 (got 7)")


@pytest.mark.parametrize("name", ["ideogram/v3-text-to-image", "ideogram/character",
                                  "qwen/text-to-image"])  # fmt: skip
def test_booleans(name: str) -> None:
    field = "enable_safety_checker" if name == "qwen/text-to-image" else "expand_prompt"
    spec = model(name)
    for value in (True, False):
        assert spec.validate(minimal_input(name, **{field: value}))[field] is value
    error = refusal(spec, minimal_input(name, **{field: "true"}))
    assert (error.field, error.problem) == (f"input.{field}", "must be a boolean (got 'true')")


# --- lists of image URLs ---------------------------------------------------------------------

URL_LISTS = [
    ("google/nano-banana-edit", "image_urls", 10),
    ("nano-banana-pro", "input_image_input", 4),
    ("ideogram/character", "reference_image_urls", 10),
]


@pytest.mark.parametrize(("name", "field", "limit"), URL_LISTS)
def test_url_list_limit(name: str, field: str, limit: int) -> None:
    spec = model(name)
    urls = [f"https://example.com/{i}.png" for i in range(limit + 1)]
    assert spec.validate(minimal_input(name, **{field: urls[:limit]}))[field] == urls[:limit]
    error = refusal(spec, minimal_input(name, **{field: urls}))
    assert (error.field, error.problem) == (
        f"input.{field}",
        f"must hold at most {limit} URLs (got {limit + 1})",
    )


@pytest.mark.parametrize(("name", "field", "limit"), URL_LISTS)
def test_url_list_items_are_checked_as_urls(name: str, field: str, limit: int) -> None:
    spec = model(name)
    error = refusal(spec, minimal_input(name, **{field: [URL, "ftp://example.com/a.png"]}))
    assert (error.field, error.problem) == (
        f"input.{field}[1]",
        "must be an http(s) URL (got 'ftp://example.com/a.png')",
    )
    error = refusal(spec, minimal_input(name, **{field: [7]}))
    assert (error.field, error.problem) == (f"input.{field}[0]", "must be a string (got 7)")
    error = refusal(spec, minimal_input(name, **{field: URL}))
    assert error.field == f"input.{field}"
    assert error.problem.startswith("must be an array of URLs (got ")


def test_nano_banana_edit_needs_at_least_one_image() -> None:
    spec = model("google/nano-banana-edit")
    error = refusal(spec, minimal_input(spec.name, image_urls=[]))
    assert (error.field, error.problem) == ("input.image_urls", "must hold at least a URL (got 0)")
    error = refusal(spec, {"prompt": "p"})
    assert (error.field, error.problem) == ("input.image_urls", "is required")


@pytest.mark.parametrize("name", ["nano-banana-pro", "ideogram/character"])
def test_optional_url_lists_may_be_absent_or_empty(name: str) -> None:
    spec = model(name)
    assert spec.validate(minimal_input(name)) is not None
    field = dict((n, f) for n, f, _ in URL_LISTS)[name]
    assert spec.validate(minimal_input(name, **{field: []}))[field] == []


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("google/nano-banana", ()),
        ("google/nano-banana-edit", ("image_urls",)),
        ("nano-banana-pro", ("input_image_input", "image_input")),
        ("bytedance/seedream-v4-text-to-image", ()),
        ("google/imagen4", ()),
        ("ideogram/v3-text-to-image", ()),
        ("ideogram/character", ("reference_image_urls",)),
        ("qwen/text-to-image", ()),
    ],
)
def test_image_url_fields_name_the_lists_the_worker_fetches(
    name: str, fields: tuple[str, ...]
) -> None:
    assert model(name).image_url_fields() == fields


def test_url_list_json_schema() -> None:
    spec002, live = model("nano-banana-pro").json_schema()["anyOf"]
    schema = spec002["properties"]["input_image_input"]
    assert schema["type"] == ["array", "null"] and schema["maxItems"] == 4
    assert schema["items"]["format"] == "uri" and schema["items"]["maxLength"] == 2048
    assert "image/gif" in schema["items"]["x-accepted-types"]
    assert live["properties"]["image_input"]["maxItems"] == 8
    edit = model("google/nano-banana-edit").json_schema()
    assert edit["properties"]["image_urls"]["minItems"] == 1
    assert edit["required"] == ["prompt", "image_urls"]
