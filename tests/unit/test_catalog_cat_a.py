"""What is special to the Google, GPT Image, Grok Imagine and Ideogram models of Kie's market
pages (issue 19): the pages' rules across fields, prices by a boolean and for an absent field,
a prompt's minimum length, the 1K/2K/4K sizes, and the text pipelines' reading of them."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.catalog import ModelSpec, PerImageBy, StringField
from imagegate.catalog.rules import NotTogether
from imagegate.engines.base import EngineJob
from imagegate.engines.diffusers.config import parse_diffusers
from imagegate.engines.diffusers.mapping import build_request

from catalog_cases import URL, model, refusal

NANO_2 = model("nano-banana-2")
GPT2_T2I = model("gpt-image-2-text-to-image")
GPT2_I2I = model("gpt-image-2-image-to-image")
GROK_T2I = model("grok-imagine/text-to-image")


def gpt2(**fields: Any) -> dict[str, Any]:
    return {"prompt": "a poster", **fields}


def gpt2_edit(**fields: Any) -> dict[str, Any]:
    return {"prompt": "a poster", "input_urls": [URL], **fields}


@pytest.mark.parametrize("ratio", ["1:4", "4:1", "1:8", "8:1"])
@pytest.mark.parametrize("resolution", ["2K", "4K"])
def test_nano_banana_2_extreme_ratios_are_1k_only(ratio: str, resolution: str) -> None:
    refused = refusal(NANO_2, {"prompt": "p", "aspect_ratio": ratio, "resolution": resolution})
    assert refused.field == "input.aspect_ratio"
    assert refused.problem == f"{ratio!r} is not supported with resolution {resolution!r}"
    # At 1K (sent, or the default) the same ratio is fine, and 2K takes the other ratios.
    assert NANO_2.validate({"prompt": "p", "aspect_ratio": ratio})["resolution"] == "1K"
    assert NANO_2.validate({"prompt": "p", "aspect_ratio": "21:9", "resolution": resolution})


@pytest.mark.parametrize(("fields", "path", "problem"), [
    ({"aspect_ratio": "5:4", "resolution": "2K"}, "input.aspect_ratio",
     "'5:4' is not supported with resolution '2K'"),
    ({"aspect_ratio": "9:21", "resolution": "2K"}, "input.aspect_ratio",
     "'9:21' is not supported with resolution '2K'"),
    ({"aspect_ratio": "3:1", "resolution": "4K"}, "input.aspect_ratio",
     "'3:1' is not supported with resolution '4K'"),
    ({"aspect_ratio": "1:1", "resolution": "4K"}, "input.resolution",
     "'4K' is not supported with aspect_ratio '1:1'"),
    ({"aspect_ratio": "auto", "resolution": "2K"}, "input.resolution",
     "'2K' is not supported with aspect_ratio 'auto'"),
    # No aspect ratio is "auto" (the default), so also 1K only.
    ({"resolution": "4K"}, "input.resolution", "'4K' is not supported with aspect_ratio 'auto'"),
    ({"aspect_ratio": "16:9", "resolution": "2K", "background": "transparent"},
     "input.background", "'transparent' is not supported with resolution '2K'"),
])  # fmt: skip
def test_gpt_image_2_text_to_image_refuses_what_its_page_says_fails(
    fields: dict[str, Any], path: str, problem: str
) -> None:
    refused = refusal(GPT2_T2I, gpt2(**fields))
    assert (refused.field, refused.problem) == (path, problem)


@pytest.mark.parametrize("fields", [
    {"aspect_ratio": "5:4", "resolution": "4K"},  # 5:4 is refused at 2K only
    {"aspect_ratio": "1:1", "resolution": "2K"},
    {"aspect_ratio": "9:21", "resolution": "1K"},
    {"aspect_ratio": "16:9", "resolution": "4K"},
    {"background": "transparent"},  # no resolution: a 1K image
    {"aspect_ratio": "3:2", "resolution": "1K", "background": "opaque"},
])  # fmt: skip
def test_gpt_image_2_text_to_image_takes_the_other_combinations(fields: dict[str, Any]) -> None:
    assert GPT2_T2I.validate(gpt2(**fields)).items() >= fields.items()


def test_gpt_image_2_image_to_image_has_its_own_pages_rules() -> None:
    assert refusal(GPT2_I2I, gpt2_edit(aspect_ratio="4:5", resolution="2K")).field == (
        "input.aspect_ratio"
    )
    assert refusal(GPT2_I2I, gpt2_edit(aspect_ratio="1:1", resolution="4K")).field == (
        "input.resolution"
    )
    assert refusal(GPT2_I2I, gpt2_edit(resolution="2K")).field == "input.resolution"
    # The text page's 3:1 rule is not on this page.
    assert GPT2_I2I.validate(gpt2_edit(aspect_ratio="3:1", resolution="4K"))["resolution"] == "4K"


def test_gpt_image_2_prompt_needs_a_character_and_says_so_in_its_schema() -> None:
    refused = refusal(GPT2_T2I, gpt2(prompt=""))
    assert refused.field == "input.prompt"
    assert refused.problem == "must be at least 1 character (got 0)"
    assert GPT2_T2I.json_schema()["properties"]["prompt"]["minLength"] == 1
    # Elsewhere "" still passes: required means present.
    assert NANO_2.validate({"prompt": ""})["prompt"] == ""
    with pytest.raises(ValueError, match="need 0 <= min_length <= max_length"):
        StringField("p", min_length=3, max_length=2)


def test_a_price_for_an_absent_field_and_by_a_boolean() -> None:
    # GPT Image 2 without a resolution makes (and costs) a 1K image.
    one_k = GPT2_T2I.price_milli(GPT2_T2I.validate(gpt2(resolution="1K")))
    assert GPT2_T2I.price_milli(GPT2_T2I.validate(gpt2())) == one_k
    assert GPT2_T2I.price_milli(GPT2_T2I.validate(gpt2(aspect_ratio="16:9", resolution="4K"))) > (
        one_k
    )
    # Grok Imagine: speed mode unless enable_pro is true.
    speed = GROK_T2I.price_milli(GROK_T2I.validate({"prompt": "p"}))
    assert GROK_T2I.price_milli(GROK_T2I.validate({"prompt": "p", "enable_pro": False})) == speed
    assert GROK_T2I.price_milli(GROK_T2I.validate({"prompt": "p", "enable_pro": True})) > speed


def test_per_image_by_tells_booleans_from_numbers_and_checks_its_absent_value() -> None:
    by_flag = PerImageBy("flag", {True: 2000, False: 1000})
    assert by_flag.per_image_milli({"flag": True}) == 2000
    with pytest.raises(KeyError):
        by_flag.per_image_milli({"flag": 1})  # 1 == True in Python, not in JSON
    with pytest.raises(KeyError):
        by_flag.per_image_milli({})  # absent, and no absent value given
    with pytest.raises(ValueError, match="absent value"):
        PerImageBy("speed", {"TURBO": 1000}, absent="BALANCED")


def test_a_rule_must_read_fields_the_model_has() -> None:
    with pytest.raises(ValueError, match="a rule reads no field resolution"):
        ModelSpec(
            name="x",
            fields=(StringField("aspect_ratio", enum=("1:1",)),),
            pricing=PerImageBy("aspect_ratio", {"1:1": 1000}),
            rules=(NotTogether("aspect_ratio", frozenset({"1:1"}), "resolution",
                               frozenset({"4K"})),),
        )


@pytest.mark.parametrize(("spec", "fields", "size"), [
    (NANO_2, {"prompt": "p", "aspect_ratio": "16:9", "resolution": "2K"}, (2048, 1152)),
    (NANO_2, {"prompt": "p", "aspect_ratio": "8:1"}, (1024, 128)),
    (NANO_2, {"prompt": "p"}, None),  # "auto": the engine decides
    (GPT2_T2I, gpt2(aspect_ratio="9:16", resolution="4K"), (2304, 4096)),
    (GPT2_T2I, gpt2(aspect_ratio="21:9"), (1024, 440)),  # no resolution: 1K
    (model("gpt-image/1.5-text-to-image"),
     {"prompt": "p", "aspect_ratio": "2:3", "quality": "high"}, (680, 1024)),
    (model("ideogram/v3-edit"), {"prompt": "p", "image_url": URL, "mask_url": URL}, None),
])  # fmt: skip
def test_output_sizes(spec: ModelSpec, fields: dict[str, Any], size: Any) -> None:
    assert spec.output_size(spec.validate(fields)) == size


def test_nano_banana_2_writes_jpg_as_jpeg_and_defaults_to_it() -> None:
    assert NANO_2.output_format(NANO_2.validate({"prompt": "p"})) == "jpeg"
    assert NANO_2.output_format(NANO_2.validate({"prompt": "p", "output_format": "png"})) == "png"


@pytest.mark.parametrize(("name", "fields", "size"), [
    ("gpt-image-2-text-to-image", gpt2(aspect_ratio="16:9", resolution="2K"), (2048, 1152)),
    ("gpt-image/1.5-text-to-image", {"prompt": "p", "aspect_ratio": "3:2", "quality": "medium"},
     (1024, 680)),
    ("grok-imagine/text-to-image", {"prompt": "p", "aspect_ratio": "9:16"}, (576, 1024)),
])  # fmt: skip
def test_text_pipelines_read_the_new_text_models(
    name: str, fields: dict[str, Any], size: tuple[int, int]
) -> None:
    config = parse_diffusers(
        {"pipelines": {"p": {"pipeline": "FluxPipeline", "weights": "/w", "models": [name]}}}
    )
    validated = model(name).validate(fields)
    request = build_request("p", config.pipelines["p"], EngineJob("t", name, validated))
    assert request.size == size and len(request.rows) == 1
    assert request.rows[0].prompt == fields["prompt"] and request.rows[0].image is None
    # Generated at multiples of 16, the asked size kept for the output.
    assert (request.call["width"], request.call["height"]) == (size[0] // 16 * 16,
                                                                size[1] // 16 * 16)


@pytest.mark.parametrize("name", ["nano-banana-2", "nano-banana-2-lite",
                                  "gpt-image-2-image-to-image", "ideogram/v3-edit"])
def test_models_with_references_or_masks_are_not_served_by_a_text_pipeline(name: str) -> None:
    with pytest.raises(ValueError, match="cannot serve"):
        parse_diffusers(
            {"pipelines": {"p": {"pipeline": "FluxPipeline", "weights": "/w", "models": [name]}}}
        )
