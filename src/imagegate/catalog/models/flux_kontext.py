"""flux-kontext-pro and flux-kontext-max: Kie's Flux Kontext, behind
``POST /api/v1/flux/kontext/generate`` (spec 002 and the provider notes' "Kie per-model
endpoints"). One set of fields, two models: the endpoint's ``model`` picks which. Field names
are the endpoint's own (camelCase).

Spec 002 spells two fields its own way (``ratio``, ``output_format``) with their own lists and
defaults; both spellings are taken, each held to its own document, and where they disagree on
the default spec 002 wins: png when no format is sent (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.catalog.fields import BooleanField, ImageUrlField, NumberField, StringField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.rules import not_sent, sent
from imagegate.catalog.spec import ModelSpec
from imagegate.errors import ValidationFailed

FLUX_KONTEXT_PRO_NAME = "flux-kontext-pro"
FLUX_KONTEXT_MAX_NAME = "flux-kontext-max"
FLUX_KONTEXT_MODELS = (FLUX_KONTEXT_PRO_NAME, FLUX_KONTEXT_MAX_NAME)

# The notes' (Kie's) aspectRatio list and spec 002's ratio list, each in its own order.
ASPECT_RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
SPEC_002_RATIOS = ("16:9", "9:16", "21:9", "3:4", "4:3", "5:4", "4:5")
OUTPUT_FORMATS = ("jpeg", "png")
EDIT_MAX_SAFETY = 2

# Two spellings of one setting: sending both is refused (naming the second).
_SPELLINGS = (("aspectRatio", "ratio"), ("outputFormat", "output_format"))


class FluxKontextSpec(ModelSpec):
    """A ModelSpec with the rules one field cannot say: safetyTolerance's smaller range in edit
    mode, one spelling per setting, and the format and size read from either spelling."""

    def validate(self, raw_input: object) -> dict[str, Any]:
        validated = super().validate(raw_input)
        assert isinstance(raw_input, Mapping)  # super().validate() refused anything else
        for kie, spec_002 in _SPELLINGS:
            if raw_input.get(kie) is not None and raw_input.get(spec_002) is not None:
                raise ValidationFailed(f"input.{spec_002}", f"send {kie} or {spec_002}, not both")
        tolerance = validated.get("safetyTolerance")
        if validated.get("inputImage") and tolerance is not None and tolerance > EDIT_MAX_SAFETY:
            raise ValidationFailed(
                "input.safetyTolerance",
                f"must be between 0 and {EDIT_MAX_SAFETY} when inputImage is given (edit mode)"
                f" (got {tolerance})",
            )
        return validated

    def cross_field_schema(self) -> list[dict[str, Any]]:
        one_spelling = [
            {"not": {"allOf": [sent(kie, {}), sent(spec_002, {})]}} for kie, spec_002 in _SPELLINGS
        ]
        edit_tolerance = {"anyOf": [
            not_sent("inputImage"),
            {"properties": {"safetyTolerance": {"maximum": EDIT_MAX_SAFETY}}},
        ]}
        return [*super().cross_field_schema(), *one_spelling, edit_tolerance]

    def _ratio(self, validated: Mapping[str, Any]) -> Mapping[str, Any]:
        ratio = validated.get("ratio")
        return validated if ratio is None else {**validated, "aspectRatio": ratio}

    def output_size(self, validated: Mapping[str, Any]) -> tuple[int, int] | None:
        return super().output_size(self._ratio(validated))

    def output_format(self, validated: Mapping[str, Any]) -> str:
        value = validated.get("outputFormat") or validated.get("output_format")
        return value if isinstance(value, str) and value in OUTPUT_FORMATS else "png"


def _fields() -> tuple[Any, ...]:
    return (
        StringField("prompt", required=True, description="The image description or the edit."),
        ImageUrlField(
            "inputImage",
            description="An image URL to edit (edit mode); absent: generate from the prompt.",
        ),
        StringField(
            "aspectRatio",
            enum=ASPECT_RATIOS,
            default="16:9",
            description="Aspect ratio of the output (Kie's spelling).",
        ),
        StringField(
            "ratio",
            enum=SPEC_002_RATIOS,
            description="Aspect ratio of the output (spec 002's spelling; wins over aspectRatio's"
            " default).",
        ),
        # No applied default: png when neither spelling is sent (spec 002; Kie says jpeg).
        StringField(
            "outputFormat",
            enum=OUTPUT_FORMATS,
            description="jpeg or png; png when neither outputFormat nor output_format is sent.",
        ),
        StringField(
            "output_format",
            enum=OUTPUT_FORMATS,
            description="jpeg or png (spec 002's spelling of outputFormat).",
        ),
        BooleanField(
            "promptUpsampling", default=False, description="Let the model expand the prompt."
        ),
        NumberField(
            "safetyTolerance",
            integer=True,
            minimum=0,
            maximum=6,
            default=2,
            description="Moderation tolerance: 0 strictest; 0-6 to generate, 0-2 to edit.",
        ),
        BooleanField(
            "enableTranslation",
            description="Translate a prompt that is not in English first (Kie).",
        ),
        StringField(
            "watermark", max_length=256, description="A watermark identifier to add (Kie)."
        ),
    )


_EXAMPLE = {
    "prompt": "A serene mountain landscape at sunset with a lake reflecting the orange sky",
    "aspectRatio": "16:9",
    "outputFormat": "jpeg",
    "promptUpsampling": False,
    "safetyTolerance": 2,
}

FLUX_KONTEXT_PRO = FluxKontextSpec(
    name=FLUX_KONTEXT_PRO_NAME,
    description="Flux Kontext Pro: fast text to image and image editing (Kie's"
    " /api/v1/flux/kontext/generate, model flux-kontext-pro).",
    fields=_fields(),
    size_field="aspectRatio",
    format_field="outputFormat",
    # imagegate's default price: 5 credits per image; operators set their own.
    pricing=PerImage(5000),
    example=_EXAMPLE,
)

FLUX_KONTEXT_MAX = FluxKontextSpec(
    name=FLUX_KONTEXT_MAX_NAME,
    description="Flux Kontext Max: the highest-quality Flux Kontext (Kie's"
    " /api/v1/flux/kontext/generate, model flux-kontext-max).",
    fields=_fields(),
    size_field="aspectRatio",
    format_field="outputFormat",
    # imagegate's default price: 10 credits per image; operators set their own.
    pricing=PerImage(10000),
    example=_EXAMPLE,
)
