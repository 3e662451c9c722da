"""The model catalog: the spec examples, every limit, defaults, prices and output facts."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from imagegate.catalog import (
    IMAGE_SIZE_PRESETS,
    ModelSpec,
    all_models,
    get_model,
)

from catalog_cases import (
    QWEN,
    REFRAME,
    SIZE_LIST,
    SIZES,
    URL,
    base_input,
    model,
    qwen_input,
    reframe_input,
    refusal,
)
from spec_examples import SPEC_000_REQUEST, SPEC_001_REQUEST, SPEC_004_REQUEST

# --- registry --------------------------------------------------------------------------------


def test_get_model_finds_each_model_by_its_wire_name() -> None:
    assert REFRAME.name == "ideogram/v3-reframe"
    assert QWEN.name == "qwen/image-edit"


@pytest.mark.parametrize("name", ["", "qwen", "Qwen/Image-Edit", "ideogram/v3-reframe ", "nope/x"])
def test_get_model_returns_none_for_unknown_names(name: str) -> None:
    assert get_model(name) is None


# The jobs API's models; other surfaces' models may be listed too, so no total is asserted.
JOBS_MODELS = [
    "ideogram/v3-reframe",
    "qwen/image-edit",
    "google/nano-banana",
    "google/nano-banana-edit",
    "nano-banana-pro",
    "bytedance/seedream-v4-text-to-image",
    "google/imagen4",
    "google/imagen4-ultra",
    "google/imagen4-fast",
    "ideogram/v3-text-to-image",
    "ideogram/character",
    "qwen/text-to-image",
]


def test_all_models_lists_every_model_once_and_hands_out_a_copy() -> None:
    models = all_models()
    names = [m.name for m in models]
    assert len(set(names)) == len(names)
    for name in JOBS_MODELS:
        assert names.count(name) == 1, name
    count = len(models)
    models.clear()
    assert len(all_models()) == count


def test_image_size_presets_are_designs_pixels() -> None:
    assert IMAGE_SIZE_PRESETS == {
        "square": (512, 512),
        "square_hd": (1024, 1024),
        "portrait_4_3": (768, 1024),
        "portrait_16_9": (576, 1024),
        "landscape_4_3": (1024, 768),
        "landscape_16_9": (1024, 576),
    }


def test_model_spec_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        REFRAME.name = "other"  # type: ignore[misc]


# --- the spec documents' own examples --------------------------------------------------------


@pytest.mark.parametrize("request_text", [SPEC_000_REQUEST, SPEC_001_REQUEST, SPEC_004_REQUEST])
def test_spec_request_examples_validate_unchanged(request_text: str) -> None:
    request = json.loads(request_text)
    spec = model(request["model"])
    # Every field of these examples is set, so validation adds nothing and changes nothing.
    assert spec.validate(request["input"]) == request["input"]


def test_spec_004_example_with_num_images_null_treats_it_as_absent() -> None:
    raw = json.loads(SPEC_004_REQUEST)["input"]
    raw["num_images"] = None
    validated = QWEN.validate(raw)
    assert "num_images" not in validated
    assert QWEN.num_outputs(validated) == 1


@pytest.mark.parametrize("spec", all_models(), ids=lambda s: s.name)
def test_every_models_own_example_validates_and_prices(spec: ModelSpec) -> None:
    validated = spec.validate(spec.example)
    # The example's values are kept as sent; fields it leaves out get their defaults.
    assert {name: validated[name] for name in spec.example} == dict(spec.example)
    assert spec.price_milli(validated) > 0
    spellings = [spec, *([spec.other_spelling] if spec.other_spelling else [])]
    assert set(spec.image_url_fields()) <= {f.name for s in spellings for f in s.fields}
    for spelling in spellings[1:]:
        # Each spelling's own example validates in that spelling.
        again = spec.validate(spelling.example)
        assert spec.spelling(again) is spelling
        assert spec.price_milli(again) > 0


def test_validate_does_not_modify_the_callers_input() -> None:
    raw = qwen_input()
    before = copy.deepcopy(raw)
    QWEN.validate(raw)
    assert raw == before


# --- shape of the input ----------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, [], ["image_url"], "image_url", 1, True, 2.5])
@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
def test_input_that_is_not_an_object_is_refused(spec: ModelSpec, raw: object) -> None:
    error = refusal(spec, raw)
    assert (error.field, error.problem) == ("input", "must be an object")


@pytest.mark.parametrize(
    ("spec", "key"),
    [(REFRAME, "prompt"), (REFRAME, "output_format"), (QWEN, "style"), (QWEN, "rendering_speed")],
)
def test_a_field_of_another_model_is_ignored_and_named(spec: ModelSpec, key: str) -> None:
    # Kie ignores fields it does not know; so does imagegate, and names them (the API puts
    # them in a header).
    raw = base_input(spec, **{key: "x"})
    validated = spec.validate(raw)
    assert key not in validated
    assert validated == spec.validate(base_input(spec))
    assert spec.ignored_fields(raw) == (f"input.{key}",)


def test_unknown_key_with_null_value_is_ignored_too() -> None:
    raw = qwen_input(mask_url=None)
    assert "mask_url" not in QWEN.validate(raw)
    assert QWEN.ignored_fields(raw) == ("input.mask_url",)


def test_known_fields_are_not_named_as_ignored() -> None:
    assert QWEN.ignored_fields(qwen_input()) == ()
    assert QWEN.ignored_fields("not an object") == ()


def test_misspelt_required_field_is_named_in_the_missing_fields_error() -> None:
    error = refusal(REFRAME, {"image_url": URL, "imageSize": "square"})
    assert error.field == "input.image_size"
    assert error.problem == (
        "is required (ignored, as no field of model ideogram/v3-reframe: imageSize)"
    )


# --- required fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (REFRAME, "image_url"),
        (REFRAME, "image_size"),  # required by spec 001 although it has a documented default
        (QWEN, "prompt"),
        (QWEN, "image_url"),
    ],
)
@pytest.mark.parametrize("how", ["absent", "null"])
def test_required_field_absent_or_null_is_refused(spec: ModelSpec, field: str, how: str) -> None:
    raw = base_input(spec)
    if how == "absent":
        del raw[field]
    else:
        raw[field] = None
    error = refusal(spec, raw)
    assert (error.field, error.problem) == (f"input.{field}", "is required")


def test_empty_prompt_is_allowed_because_required_means_present() -> None:
    assert QWEN.validate(qwen_input(prompt=""))["prompt"] == ""


def test_empty_object_names_the_first_required_field() -> None:
    assert refusal(REFRAME, {}).field == "input.image_url"
    assert refusal(QWEN, {}).field == "input.prompt"


# --- defaults --------------------------------------------------------------------------------


def test_reframe_defaults_are_applied() -> None:
    assert REFRAME.validate({"image_url": URL, "image_size": "portrait_16_9"}) == {
        "image_url": URL,
        "image_size": "portrait_16_9",
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "num_images": "1",
        "seed": 0,
    }


def test_qwen_defaults_are_applied_and_fields_without_default_stay_absent() -> None:
    assert QWEN.validate({"prompt": "p", "image_url": URL}) == {
        "prompt": "p",
        "image_url": URL,
        "acceleration": "none",
        "image_size": "landscape_4_3",
        "num_inference_steps": 25,
        "guidance_scale": 4,
        "sync_mode": False,
        "enable_safety_checker": True,
        "output_format": "png",
        "negative_prompt": "blurry, ugly",
    }


@pytest.mark.parametrize(
    ("field", "default"),
    [
        ("acceleration", "none"),
        ("image_size", "landscape_4_3"),
        ("num_inference_steps", 25),
        ("guidance_scale", 4),
        ("sync_mode", False),
        ("enable_safety_checker", True),
        ("output_format", "png"),
        ("negative_prompt", "blurry, ugly"),
    ],
)
def test_null_optional_field_gets_its_default(field: str, default: object) -> None:
    assert QWEN.validate(qwen_input(**{field: None}))[field] == default


@pytest.mark.parametrize(
    ("field", "default"),
    [("rendering_speed", "BALANCED"), ("style", "AUTO"), ("num_images", "1"), ("seed", 0)],
)
def test_null_optional_reframe_field_gets_its_default(field: str, default: object) -> None:
    assert REFRAME.validate(reframe_input(**{field: None}))[field] == default


def test_sent_values_win_over_defaults() -> None:
    validated = QWEN.validate(
        qwen_input(acceleration="high", sync_mode=True, negative_prompt="", output_format="jpeg")
    )
    assert validated["acceleration"] == "high"
    assert validated["sync_mode"] is True
    assert validated["negative_prompt"] == ""
    assert validated["output_format"] == "jpeg"


# --- enums -----------------------------------------------------------------------------------

ENUMS: list[tuple[ModelSpec, str, list[str]]] = [
    (REFRAME, "image_size", SIZES),
    (REFRAME, "rendering_speed", ["TURBO", "BALANCED", "QUALITY"]),
    (REFRAME, "style", ["AUTO", "GENERAL", "REALISTIC", "DESIGN"]),
    (QWEN, "image_size", SIZES),
    (QWEN, "acceleration", ["none", "regular", "high"]),
    (QWEN, "output_format", ["jpeg", "png"]),
]
ENUM_IDS = [f"{spec.name}:{field}" for spec, field, _ in ENUMS]


@pytest.mark.parametrize(("spec", "field", "choices"), ENUMS, ids=ENUM_IDS)
def test_every_enum_value_is_accepted(spec: ModelSpec, field: str, choices: list[str]) -> None:
    for choice in choices:
        assert spec.validate(base_input(spec, **{field: choice}))[field] == choice


@pytest.mark.parametrize(("spec", "field", "choices"), ENUMS, ids=ENUM_IDS)
def test_enum_refuses_values_outside_naming_the_choices(
    spec: ModelSpec, field: str, choices: list[str]
) -> None:
    outside = ["", "huge", choices[0].swapcase(), f" {choices[0]}", choices[0] + "x"]
    for value in outside:
        error = refusal(spec, base_input(spec, **{field: value}))
        assert error.field == f"input.{field}"
        assert error.problem == f"must be one of {', '.join(choices)} (got {value!r})"


@pytest.mark.parametrize(("spec", "field", "choices"), ENUMS, ids=ENUM_IDS)
@pytest.mark.parametrize("value", [1, 0, True, 1.5, ["square"], {"a": 1}])
def test_enum_strings_refuse_non_strings(
    spec: ModelSpec, field: str, choices: list[str], value: object
) -> None:
    error = refusal(spec, base_input(spec, **{field: value}))
    assert error.field == f"input.{field}"
    assert error.problem.startswith("must be a string (got ")


def test_image_size_message_matches_the_documented_wording() -> None:
    error = refusal(REFRAME, reframe_input(image_size="huge"))
    assert str(error) == f"input.image_size: must be one of {SIZE_LIST} (got 'huge')"


# --- num_images ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize("value", ["1", "2", "3", "4", 1, 2, 3, 4])
def test_num_images_accepts_string_or_integer_and_echoes_it_as_sent(
    spec: ModelSpec, value: object
) -> None:
    validated = spec.validate(base_input(spec, num_images=value))
    assert validated["num_images"] == value
    assert type(validated["num_images"]) is type(value)
    assert spec.num_outputs(validated) == int(str(value))


@pytest.mark.parametrize("spec", [REFRAME, QWEN], ids=lambda s: s.name)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0", "'0'"),
        ("5", "'5'"),
        ("01", "'01'"),
        (" 2", "' 2'"),
        ("two", "'two'"),
        ("", "''"),
        (0, "0"),
        (5, "5"),
        (-1, "-1"),
        (2.0, "2.0"),
        (True, "true"),
        (["2"], "an array"),
    ],
)
def test_num_images_refuses_anything_but_one_to_four(
    spec: ModelSpec, value: object, shown: str
) -> None:
    error = refusal(spec, base_input(spec, num_images=value))
    assert error.field == "input.num_images"
    assert error.problem == f"must be one of 1, 2, 3, 4 (got {shown})"
