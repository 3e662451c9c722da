"""The catalog's numbers, strings, booleans, prices, outputs and schemas (the models' values)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from imagegate.catalog import (
    IMAGE_SIZE_PRESETS,
    BooleanField,
    ImageUrlField,
    ModelSpec,
    PerImage,
    StringField,
    all_models,
)

from catalog_cases import (
    QWEN,
    REFRAME,
    SIZE_LIST,
    SIZES,
    URL,
    base_input,
    qwen_input,
    reframe_input,
    refusal,
)
from spec_examples import SPEC_000_REQUEST

# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [2, 3, 25, 48, 49, 2.0, 49.0])
def test_inference_steps_accepts_the_range_edges_and_keeps_the_value_as_sent(steps: float) -> None:
    validated = QWEN.validate(qwen_input(num_inference_steps=steps))
    assert validated["num_inference_steps"] == steps
    assert type(validated["num_inference_steps"]) is type(steps)


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        (1, "must be between 2 and 49 (got 1)"),
        (50, "must be between 2 and 49 (got 50)"),
        (0, "must be between 2 and 49 (got 0)"),
        (-5, "must be between 2 and 49 (got -5)"),
        (1.0, "must be between 2 and 49 (got 1.0)"),
        (2.5, "must be an integer (got 2.5)"),
        ("25", "must be an integer (got '25')"),
        (True, "must be an integer (got true)"),
        (False, "must be an integer (got false)"),
        ([25], "must be an integer (got an array)"),
        (float("inf"), "must be a finite number (got inf)"),
        (float("nan"), "must be a finite number (got nan)"),
    ],
)
def test_inference_steps_refusals(steps: object, problem: str) -> None:
    error = refusal(QWEN, qwen_input(num_inference_steps=steps))
    assert (error.field, error.problem) == ("input.num_inference_steps", problem)


@pytest.mark.parametrize("scale", [0, 20, 0.0, 20.0, 0.1, 0.3, 4, 4.5, 7.3, 19.9])
def test_guidance_scale_accepts_range_and_tenths(scale: float) -> None:
    assert QWEN.validate(qwen_input(guidance_scale=scale))["guidance_scale"] == scale


@pytest.mark.parametrize(
    ("scale", "problem"),
    [
        (-0.1, "must be between 0 and 20 (got -0.1)"),
        (20.1, "must be between 0 and 20 (got 20.1)"),
        (21, "must be between 0 and 20 (got 21)"),
        (4.55, "must be a multiple of 0.1 (got 4.55)"),
        (0.01, "must be a multiple of 0.1 (got 0.01)"),
        ("4", "must be a number (got '4')"),
        (True, "must be a number (got true)"),
        (float("-inf"), "must be a finite number (got -inf)"),
    ],
)
def test_guidance_scale_refusals(scale: object, problem: str) -> None:
    error = refusal(QWEN, qwen_input(guidance_scale=scale))
    assert (error.field, error.problem) == ("input.guidance_scale", problem)


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize("seed", [0, 42, 2**31 - 1, 42.0, 2147483647.0])
def test_seed_accepts_integral_numbers_as_sent(spec: ModelSpec, seed: float) -> None:
    validated = spec.validate(base_input(spec, seed=seed))
    assert validated["seed"] == seed
    assert type(validated["seed"]) is type(seed)
    assert spec.seed(validated) == int(seed)
    assert type(spec.seed(validated)) is int


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize(
    ("seed", "problem"),
    [
        (1.5, "must be an integer (got 1.5)"),
        ("42", "must be an integer (got '42')"),
        (True, "must be an integer (got true)"),
        ({"v": 1}, "must be an integer (got an object)"),
        # The one range of every surface (catalog/seeds.py), issue 20 point 5.
        (-1, "must be between 0 and 2147483647 (got -1)"),
        (2**31, "must be between 0 and 2147483647 (got 2147483648)"),
        (2**40, "must be between 0 and 2147483647 (got 1099511627776)"),
        (2**64, "must be between 0 and 2147483647 (got 18446744073709551616)"),
        (-(2**64), "must be between 0 and 2147483647 (got -18446744073709551616)"),
    ],
)
def test_seed_refusals(spec: ModelSpec, seed: object, problem: str) -> None:
    error = refusal(spec, base_input(spec, seed=seed))
    assert (error.field, error.problem) == ("input.seed", problem)


def test_seed_accessor_defaults() -> None:
    assert REFRAME.seed(REFRAME.validate(reframe_input())) == 0  # spec 000's default
    assert QWEN.seed(QWEN.validate(qwen_input())) is None  # spec 004 has no default


# --- booleans --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["sync_mode", "enable_safety_checker"])
@pytest.mark.parametrize("value", [True, False])
def test_booleans_accept_true_and_false(field: str, value: bool) -> None:
    assert QWEN.validate(qwen_input(**{field: value}))[field] is value


@pytest.mark.parametrize("field", ["sync_mode", "enable_safety_checker"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [("yes", "'yes'"), ("true", "'true'"), (1, "1"), (0, "0"), (1.0, "1.0"), ([], "an array")],
)
def test_booleans_refuse_lookalikes(field: str, value: object, shown: str) -> None:
    error = refusal(QWEN, qwen_input(**{field: value}))
    assert (error.field, error.problem) == (f"input.{field}", f"must be a boolean (got {shown})")


# --- string lengths --------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), [("prompt", 2000), ("negative_prompt", 500)])
def test_string_length_limits(field: str, limit: int) -> None:
    at_limit = "a" * limit
    assert QWEN.validate(qwen_input(**{field: at_limit}))[field] == at_limit
    # Characters, not bytes: 2000 two-byte characters still fit.
    assert QWEN.validate(qwen_input(**{field: "é" * limit}))[field] == "é" * limit
    error = refusal(QWEN, qwen_input(**{field: "a" * (limit + 1)}))
    assert error.field == f"input.{field}"
    assert error.problem == f"must be at most {limit} characters (got {limit + 1})"


@pytest.mark.parametrize(
    ("value", "shown"), [(5, "5"), (True, "true"), (["a"], "an array"), ({}, "an object")]
)
def test_prompt_refuses_non_strings(value: object, shown: str) -> None:
    error = refusal(QWEN, qwen_input(prompt=value))
    assert (error.field, error.problem) == ("input.prompt", f"must be a string (got {shown})")


def test_a_long_refused_value_is_cut_short_in_the_message() -> None:
    error = refusal(REFRAME, reframe_input(image_size="x" * 10_000))
    assert error.problem.startswith(f"must be one of {SIZE_LIST} (got 'xxx")
    assert error.problem.endswith("...')")
    assert len(error.problem) < len(SIZE_LIST) + 100


# --- image URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.png",
        "http://example.com/a.webp",
        "HTTPS://EXAMPLE.COM/A.JPG",
        "http://127.0.0.1:8080/a.png?x=1#frag",  # syntax only: SSRF rules belong to the fetcher
        "http://[::1]:9000/a.png",
        "https://example.com/" + "a" * (2048 - len("https://example.com/")),
    ],
)
def test_image_url_accepts_http_urls(spec: ModelSpec, url: str) -> None:
    assert spec.validate(base_input(spec, image_url=url))["image_url"] == url


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/a.png",
        "/relative/a.png",
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "http://",
        "https:///a.png",
        "https://exa mple.com/a.png",
        "https://example.com/a\n.png",
        "https://example.com/a\t.png",
        "http://example.com:99999/a.png",
        "http://example.com:port/a.png",
        "http://[::1/a.png",
    ],
)
def test_image_url_refuses_what_is_not_an_http_url(spec: ModelSpec, url: str) -> None:
    error = refusal(spec, base_input(spec, image_url=url))
    assert (error.field, error.problem) == (
        "input.image_url",
        f"must be an http(s) URL (got {url!r})",
    )


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
def test_image_url_length_and_type_limits(spec: ModelSpec) -> None:
    too_long = "https://example.com/" + "a" * 2048
    error = refusal(spec, base_input(spec, image_url=too_long))
    assert error.problem == f"must be at most 2048 characters (got {len(too_long)})"
    error = refusal(spec, base_input(spec, image_url=7))
    assert (error.field, error.problem) == ("input.image_url", "must be a string (got 7)")


# --- prices ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speed", "per_image"), [("TURBO", 3500), ("BALANCED", 7000), ("QUALITY", 10000)]
)
@pytest.mark.parametrize("count", ["1", "2", "3", "4", 1, 4])
def test_reframe_price_is_per_image_by_speed(speed: str, per_image: int, count: object) -> None:
    validated = REFRAME.validate(reframe_input(rendering_speed=speed, num_images=count))
    assert REFRAME.price_milli(validated) == per_image * int(str(count))


def test_reframe_default_price_is_one_balanced_image() -> None:
    assert REFRAME.price_milli(REFRAME.validate(reframe_input())) == 7000


@pytest.mark.parametrize(("count", "price"), [(None, 4000), ("1", 4000), (2, 8000), ("4", 16000)])
def test_qwen_price_is_four_credits_per_image(count: object, price: int) -> None:
    validated = QWEN.validate(qwen_input(num_images=count))
    assert QWEN.price_milli(validated) == price


# --- outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize("size", SIZES)
def test_output_size_follows_the_preset(spec: ModelSpec, size: str) -> None:
    validated = spec.validate(base_input(spec, image_size=size))
    assert spec.output_size(validated) == IMAGE_SIZE_PRESETS[size]


def test_output_size_of_qwen_default_is_landscape_4_3() -> None:
    assert QWEN.output_size(QWEN.validate(qwen_input())) == (1024, 768)


def test_output_format() -> None:
    assert QWEN.output_format(QWEN.validate(qwen_input())) == "png"
    assert QWEN.output_format(QWEN.validate(qwen_input(output_format="jpeg"))) == "jpeg"
    # Reframe has no output_format field: png.
    assert REFRAME.output_format(REFRAME.validate(reframe_input())) == "png"


def test_num_outputs() -> None:
    assert REFRAME.num_outputs(REFRAME.validate(reframe_input())) == 1
    assert REFRAME.num_outputs(REFRAME.validate(reframe_input(num_images="3"))) == 3
    assert QWEN.num_outputs(QWEN.validate(qwen_input())) == 1
    assert QWEN.num_outputs(QWEN.validate(qwen_input(num_images=4))) == 4


def test_image_url_fields() -> None:
    assert REFRAME.image_url_fields() == ("image_url",)
    assert QWEN.image_url_fields() == ("image_url",)


def test_a_new_model_is_one_model_spec_and_its_output_facts_have_fallbacks() -> None:
    # A model without image_size, num_images, seed or output_format, and two URL fields.
    spec = ModelSpec(
        name="test/minimal",
        fields=(
            StringField("prompt", required=True, max_length=10),
            ImageUrlField("image_url", required=True),
            ImageUrlField("mask_url"),
            BooleanField("flag", default=True),
        ),
        pricing=PerImage(1500),
    )
    validated = spec.validate({"prompt": "hi", "image_url": URL})
    assert validated == {"prompt": "hi", "image_url": URL, "flag": True}
    assert spec.image_url_fields() == ("image_url", "mask_url")
    assert spec.output_size(validated) is None
    assert spec.output_format(validated) == "png"
    assert spec.num_outputs(validated) == 1
    assert spec.seed(validated) is None
    assert spec.price_milli(validated) == 1500
    assert spec.json_schema()["required"] == ["prompt", "image_url"]


def test_a_model_with_two_fields_of_one_name_is_refused() -> None:
    with pytest.raises(ValueError, match="share a name"):
        ModelSpec(
            name="test/dup",
            fields=(StringField("prompt"), StringField("prompt")),
            pricing=PerImage(1),
        )


# --- JSON Schema -----------------------------------------------------------------------------


def test_reframe_json_schema() -> None:
    schema = REFRAME.json_schema()
    assert schema["type"] == "object"
    assert schema["title"] == "ideogram/v3-reframe"
    assert schema["required"] == ["image_url", "image_size"]
    # Unknown keys are ignored (as Kie ignores them), so the schema does not forbid them.
    assert "additionalProperties" not in schema
    props = schema["properties"]
    assert list(props) == [
        "image_url",
        "image_size",
        "rendering_speed",
        "style",
        "num_images",
        "seed",
    ]
    # Required, yet its documented default is kept for the docs.
    assert props["image_size"] == {
        "type": "string",
        "enum": SIZES,
        "default": "square_hd",
        "description": "The resolution for the reframed output image",
    }
    # An optional field may be sent as null (left out): the document says so.
    assert props["rendering_speed"]["enum"] == ["TURBO", "BALANCED", "QUALITY", None]
    assert props["rendering_speed"]["default"] == "BALANCED"
    assert props["style"]["enum"] == ["AUTO", "GENERAL", "REALISTIC", "DESIGN", None]
    assert props["style"]["default"] == "AUTO"
    assert props["num_images"]["type"] == ["string", "integer", "null"]
    assert props["num_images"]["enum"] == ["1", "2", "3", "4", 1, 2, 3, 4, None]
    assert props["num_images"]["default"] == "1"
    assert props["seed"] == {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 2147483647,
        "default": 0,
        "description": "Seed for the random number generator.",
    }
    assert props["image_url"]["type"] == "string"
    assert props["image_url"]["format"] == "uri"
    assert props["image_url"]["maxLength"] == 2048
    assert "default" not in props["image_url"]
    assert schema["examples"] == [json.loads(SPEC_000_REQUEST)["input"]]


def test_qwen_json_schema() -> None:
    schema = QWEN.json_schema()
    assert schema["required"] == ["prompt", "image_url"]
    props = schema["properties"]
    assert props["prompt"]["maxLength"] == 2000
    assert props["prompt"]["default"] == ""
    assert props["negative_prompt"]["maxLength"] == 500
    assert props["negative_prompt"]["default"] == "blurry, ugly"
    steps = props["num_inference_steps"]
    assert (steps["type"], steps["minimum"], steps["maximum"], steps["default"]) == (
        ["integer", "null"],
        2,
        49,
        25,
    )
    scale = props["guidance_scale"]
    assert (scale["type"], scale["minimum"], scale["maximum"], scale["multipleOf"]) == (
        ["number", "null"],
        0,
        20,
        0.1,
    )
    assert scale["default"] == 4
    assert props["acceleration"]["enum"] == ["none", "regular", "high", None]
    assert props["output_format"]["enum"] == ["jpeg", "png", None]
    assert props["sync_mode"] == {
        "type": ["boolean", "null"],
        "default": False,
        "description": props["sync_mode"]["description"],
    }
    assert props["enable_safety_checker"]["default"] is True
    assert "default" not in props["seed"]
    assert "default" not in props["num_images"]


@pytest.mark.parametrize("spec", all_models(), ids=lambda s: s.name)
def test_json_schema_agrees_with_validate(spec: ModelSpec) -> None:
    json.dumps(spec.json_schema())  # serialisable as it stands
    for spelling in (spec, *([spec.other_spelling] if spec.other_spelling else [])):
        _schema_agrees(spec, spelling)


def _schema_agrees(spec: ModelSpec, spelling: ModelSpec) -> None:
    schema = spelling.object_schema()
    assert list(schema["properties"]) == [f.name for f in spelling.fields]
    # The optional fields' schema defaults are exactly what validate() fills in.
    required = {name: spelling.example[name] for name in schema["required"]}
    validated = spec.validate(required)
    defaults = {
        name: prop["default"]
        for name, prop in schema["properties"].items()
        if "default" in prop and name not in schema["required"]
    }
    assert {k: v for k, v in validated.items() if k not in required} == defaults
    # Every enum member the schema lists is accepted on its own: a rule across fields may
    # refuse it beside the defaults ("2K" with aspect_ratio "auto"), which its own tests cover.
    alone = dataclasses.replace(spec, rules=())
    for name, prop in schema["properties"].items():
        for choice in prop.get("enum", []):
            if choice is None:  # an optional field's null is the field left out
                assert alone.validate({**required, name: None}) == alone.validate(required)
                continue
            assert alone.validate({**required, name: choice})[name] == choice
