"""ModelSpec: one model's input fields, validation with defaults, price and output facts.
Adding a model is writing one ModelSpec (catalog/models/) and listing it in registry.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from imagegate.catalog.fields import FieldSpec, ImageUrlField
from imagegate.catalog.presets import IMAGE_SIZE_PRESETS
from imagegate.catalog.pricing import Pricing
from imagegate.errors import ValidationFailed

# The output accessors find their facts by these field names, which every Kie model shares.
NUM_IMAGES = "num_images"
IMAGE_SIZE = "image_size"
OUTPUT_FORMAT = "output_format"
SEED = "seed"

OUTPUT_FORMATS = ("png", "jpeg")


# eq=False: specs are registry singletons, compared and hashed by identity (a pricing table
# may hold a dict, which would make a generated __hash__ fail).
@dataclass(frozen=True, eq=False)
class ModelSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    pricing: Pricing
    description: str = ""
    # The request example of the model's spec: shown in the JSON Schema, checked by the tests.
    example: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self._by_name) != len(self.fields):
            raise ValueError(f"model {self.name}: two fields share a name")

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    def validate(self, raw_input: object) -> dict[str, Any]:
        """Check ``input`` against the fields; return it with defaults for absent fields.

        Values are kept as sent (``num_images`` 2 stays 2). Raises ``ValidationFailed`` naming
        the first field at fault as ``input.<name>``.
        """
        if not isinstance(raw_input, Mapping):
            raise ValidationFailed("input", "must be an object")
        # Unknown keys first: a misspelt field ("imageSize") is the real cause of the
        # "is required" that would otherwise be reported.
        for key in raw_input:
            if key not in self._by_name:
                raise ValidationFailed(f"input.{key}", f"is not a field of model {self.name}")
        validated: dict[str, Any] = {}
        for spec in self.fields:
            path = f"input.{spec.name}"
            value = raw_input.get(spec.name)
            # null counts as absent: spec 004's own example sends "num_images": undefined.
            if value is None:
                if spec.required:
                    raise ValidationFailed(path, "is required")
                if spec.has_default:
                    validated[spec.name] = spec.default
                continue
            validated[spec.name] = spec.check(value, path)
        return validated

    def price_milli(self, validated: Mapping[str, Any]) -> int:
        """The task's price in millicredits: the price per image times the images asked for."""
        return self.pricing.per_image_milli(validated) * self.num_outputs(validated)

    def image_url_fields(self) -> tuple[str, ...]:
        """Names of the fields whose values are image URLs the worker fetches."""
        return tuple(spec.name for spec in self.fields if isinstance(spec, ImageUrlField))

    def num_outputs(self, validated: Mapping[str, Any]) -> int:
        value = validated.get(NUM_IMAGES) if NUM_IMAGES in self._by_name else None
        # "2" and 2 both mean two; validate() has already held it to "1"-"4".
        return 1 if value is None else int(value)

    def output_size(self, validated: Mapping[str, Any]) -> tuple[int, int] | None:
        """(width, height) of the chosen preset; None when the model has no image_size."""
        if IMAGE_SIZE not in self._by_name:
            return None
        value = validated.get(IMAGE_SIZE)
        return IMAGE_SIZE_PRESETS.get(value) if isinstance(value, str) else None

    def output_format(self, validated: Mapping[str, Any]) -> str:
        """ "png" or "jpeg"; png for models that do not let the caller choose."""
        value = validated.get(OUTPUT_FORMAT) if OUTPUT_FORMAT in self._by_name else None
        return value if isinstance(value, str) and value in OUTPUT_FORMATS else "png"

    def seed(self, validated: Mapping[str, Any]) -> int | None:
        value = validated.get(SEED) if SEED in self._by_name else None
        # An integral float (42.0) is kept as sent in the input; engines want an int.
        return None if value is None else int(value)

    def json_schema(self) -> dict[str, Any]:
        """The ``input`` object as JSON Schema, for the API's model documentation."""
        schema: dict[str, Any] = {
            "title": self.name,
            "type": "object",
            "properties": {spec.name: spec.json_schema() for spec in self.fields},
            "required": [spec.name for spec in self.fields if spec.required],
            "additionalProperties": False,
        }
        if self.description:
            schema["description"] = self.description
        if self.example:
            schema["examples"] = [dict(self.example)]
        return schema
