"""gpt4o-image: Kie's GPT-4o Image, behind ``POST /api/v1/gpt4o-image/generate`` (spec 002 and
the provider notes' "Kie per-model endpoints"). Field names are the endpoint's own (camelCase).

Where spec 002 and the notes disagree, spec 002 wins (docs/decisions.md): ``size`` defaults to
1:1 instead of being required (spec 002's own basic example sends only ``prompt``), and spec
002's ``variants`` (1-4) is taken next to Kie's ``nVariants`` (1, 2 or 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.catalog.fields import (
    BooleanField,
    ImageUrlField,
    ImageUrlListField,
    NumberField,
    StringField,
)
from imagegate.catalog.pricing import CountRule, PerImage
from imagegate.catalog.rules import sent
from imagegate.catalog.spec import ModelSpec
from imagegate.errors import ValidationFailed

GPT4O_IMAGE_NAME = "gpt4o-image"
GPT4O_SIZES = ("1:1", "3:2", "2:3")


def check_prompt_or_files(validated: Mapping[str, Any]) -> None:
    """The notes' "at least one of prompt, filesUrl". Checked by the endpoint, not by
    validate(): a model's required fields alone must validate (the catalog's own rule), and
    here no field is required on its own."""
    if not validated.get("prompt") and not validated.get("filesUrl"):
        raise ValidationFailed("prompt", "is required when filesUrl is absent or empty")


class Gpt4oImageSpec(ModelSpec):
    """A ModelSpec with a rule one field cannot say: one spelling of the image count."""

    def validate(self, raw_input: object) -> dict[str, Any]:
        validated = super().validate(raw_input)
        assert isinstance(raw_input, Mapping)  # super().validate() refused anything else
        if raw_input.get("variants") is not None and raw_input.get("nVariants") is not None:
            raise ValidationFailed("input.variants", "send nVariants or variants, not both")
        return validated

    def cross_field_schema(self) -> list[dict[str, Any]]:
        both = {"not": {"allOf": [sent("variants", {}), sent("nVariants", {})]}}
        return [*super().cross_field_schema(), both]

    def count_rule(self) -> CountRule:
        return CountRule(fields=("variants", "nVariants"))


# check_prompt_or_files as JSON Schema, for the endpoint's body in the OpenAPI document.
PROMPT_OR_FILES_SCHEMA: dict[str, Any] = {"anyOf": [
    sent("prompt", {"minLength": 1}), sent("filesUrl", {"minItems": 1}),
]}


GPT4O_IMAGE = Gpt4oImageSpec(
    name=GPT4O_IMAGE_NAME,
    description=(
        "GPT-4o Image: text to image, or edit up to five reference images (Kie's"
        " /api/v1/gpt4o-image/generate)."
    ),
    fields=(
        # Optional on its own; the endpoint wants a prompt or filesUrl (check_prompt_or_files).
        StringField("prompt", description="The image description (or the edit to make)."),
        # Spec 002 gives a default, the notes say required: spec 002 wins.
        StringField(
            "size", enum=GPT4O_SIZES, default="1:1", description="Aspect ratio of the image."
        ),
        StringField(
            "nVariants",
            enum=("1", "2", "4"),
            accept_integers=True,
            default=1,
            description="Number of images: 1, 2 or 4 (Kie).",
        ),
        # Spec 002's name for the count; held to its own 1-4. No default: nVariants counts then.
        NumberField(
            "variants",
            integer=True,
            minimum=1,
            maximum=4,
            description="Number of images, 1-4 (spec 002's spelling of nVariants).",
        ),
        ImageUrlListField(
            "filesUrl",
            max_items=5,
            description="Up to five reference image URLs (JPEG, PNG or WebP, 10 MB each).",
        ),
        ImageUrlField("maskUrl", description="A mask image URL: its black areas are edited."),
        BooleanField("isEnhance", default=False, description="Enhance the prompt first."),
        BooleanField(
            "enableFallback",
            default=False,
            description="Let Kie fall back to another model when GPT-4o is unavailable.",
        ),
        # Kie names GPT_IMAGE_1 and FLUX_MAX; neither document lists values, so any short
        # string is kept as sent (imagegate has no fallback model of its own yet).
        StringField(
            "fallbackModel",
            max_length=64,
            description="The fallback model (Kie: GPT_IMAGE_1 or FLUX_MAX).",
        ),
    ),
    count_field="nVariants",
    size_field="size",
    # imagegate's default price: 6 credits per image; operators set their own.
    pricing=PerImage(6000),
    # The provider notes' fields, as Kie's documentation example sends them.
    example={
        "prompt": "A beautiful sunset over the mountains",
        "size": "1:1",
        "nVariants": 1,
        "filesUrl": ["https://example.com/image1.png"],
        "isEnhance": False,
        "enableFallback": False,
    },
)
