"""ModelSpec: one model's input fields, validation with defaults, price and output facts.
Adding a model is writing one ModelSpec (catalog/models/) and listing it in registry.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from imagegate.catalog.fields import FieldSpec, ImageLimits, ImageUrlField, ImageUrlListField
from imagegate.catalog.presets import output_pixels, scale_to_long_side
from imagegate.catalog.pricing import CountRule, Pricing
from imagegate.catalog.rules import InputRule
from imagegate.errors import ValidationFailed

# The output accessors find their facts by these field names, which most Kie models share; a
# model that names them otherwise says so in its ModelSpec (count_field, size_field, ...).
NUM_IMAGES = "num_images"
IMAGE_SIZE = "image_size"
OUTPUT_FORMAT = "output_format"
SEED = "seed"

OUTPUT_FORMATS = ("png", "jpeg", "webp")
# Other spellings of those formats that models take ("jpg": nano-banana-pro).
_FORMAT_ALIASES = {"jpg": "jpeg"}


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
    # The fields the output accessors read: how many images, their size, format and seed.
    count_field: str = NUM_IMAGES
    size_field: str = IMAGE_SIZE
    format_field: str = OUTPUT_FORMAT
    seed_field: str = SEED
    # For models with a resolution choice ("1K"/"2K"/"4K"): the field, and the pixels on the
    # long side each value stands for; the size field then gives the aspect ratio only.
    resolution_field: str | None = None
    resolution_long_side: Mapping[str, int] = field(default_factory=dict)
    # The model's input in another spelling that the provider also takes: the same fields
    # under other names, with that spelling's own enums, limits, price and accessors
    # (nano-banana-pro: spec 002's ``input_*`` names, and Kie's live names as its clients send
    # them today). An input is read in the one spelling its field names are of (``spelling``).
    other_spelling: ModelSpec | None = None
    # Checks across fields (catalog/rules.py), made once every field has passed its own.
    rules: tuple[InputRule, ...] = ()
    # For upscalers, whose output is the source image's size times a factor: the field that
    # holds the factor (Topaz's "upscale_factor", nano-banana-upscale's "scale"; a number or a
    # numeric string), or ``fixed_scale`` for a model that has no such field. The longest
    # output side the model's page allows, if it names one, is ``max_output_side``; engines
    # refuse a larger output when they learn the source's size (``scaled_size``).
    scale_field: str | None = None
    fixed_scale: float | None = None
    max_output_side: int | None = None

    def __post_init__(self) -> None:
        if len(self._by_name) != len(self.fields):
            raise ValueError(f"model {self.name}: two fields share a name")
        for name in (self.resolution_field, self.scale_field):
            if name is not None and name not in self._by_name:
                raise ValueError(f"model {self.name}: no field {name}")
        if self.fixed_scale is not None and self.fixed_scale <= 0:
            raise ValueError(f"model {self.name}: fixed_scale must be positive")
        other = self.other_spelling
        if other is not None:
            if other.name != self.name or other.other_spelling is not None:
                raise ValueError(f"model {self.name}: a spelling must be of the same model")
            if set(self._by_name) & set(other._by_name):
                raise ValueError(f"model {self.name}: two spellings share a field name")
        for rule in self.rules:
            for name in rule.field_names():
                if name not in self._by_name:
                    raise ValueError(f"model {self.name}: a rule reads no field {name}")

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    def spelling(self, input: Mapping[str, Any]) -> ModelSpec:
        """The spelling ``input`` is written in: that of its first key that is a field of
        either (a client's first field is the one it means; ``validate`` refuses the other
        spelling's fields after it), this one when none is. A validated input is in one."""
        other = self.other_spelling
        if other is None:
            return self
        for key in input:
            if key in self._by_name:
                return self
            if key in other._by_name:
                return other
        return self

    def ignored_fields(self, raw_input: object) -> tuple[str, ...]:
        """The keys of ``input`` that are fields of neither spelling, as ``input.<key>``:
        ``validate`` ignores them (Kie does too), and the API names them in a header."""
        if not isinstance(raw_input, Mapping):
            return ()
        known = self._by_name
        other = self.other_spelling._by_name if self.other_spelling is not None else {}
        return tuple(
            f"input.{key}" for key in raw_input if key not in known and key not in other
        )

    def validate(self, raw_input: object) -> dict[str, Any]:
        """Check ``input`` against the fields; return it with defaults for absent fields.

        Values are kept as sent (``num_images`` 2 stays 2). Keys that are no field of the
        model are left out, as Kie leaves them (``ignored_fields`` names them). Raises
        ``ValidationFailed`` naming the first field at fault as ``input.<name>``.
        """
        if not isinstance(raw_input, Mapping):
            raise ValidationFailed("input", "must be an object")
        spelling = self.spelling(raw_input)
        if self.other_spelling is not None:
            self._refuse_mixed(raw_input, spelling)
        return spelling._validate_fields(raw_input)

    def _refuse_mixed(self, raw_input: Mapping[str, Any], spelling: ModelSpec) -> None:
        other = self.other_spelling if spelling is self else self
        assert other is not None
        for key in raw_input:
            if key in other._by_name:
                raise ValidationFailed(
                    f"input.{key}",
                    "mixes the model's two spellings of its fields: send either"
                    f" {', '.join(spelling._by_name)} or {', '.join(other._by_name)}",
                )

    def _unknown_hint(self, raw_input: Mapping[str, Any]) -> str:
        # A misspelt field ("imageSize") is the real cause of a missing one: say so, since
        # the misspelling itself is ignored, not refused.
        unknown = [key for key in raw_input if key not in self._by_name]
        if not unknown:
            return ""
        return f" (ignored, as no field of model {self.name}: {', '.join(unknown)})"

    def _validate_fields(self, raw_input: Mapping[str, Any]) -> dict[str, Any]:
        validated: dict[str, Any] = {}
        for spec in self.fields:
            path = f"input.{spec.name}"
            value = raw_input.get(spec.name)
            # null counts as absent: spec 004's own example sends "num_images": undefined.
            if value is None:
                if spec.required:
                    raise ValidationFailed(path, "is required" + self._unknown_hint(raw_input))
                if spec.has_default:
                    validated[spec.name] = spec.default
                continue
            validated[spec.name] = spec.check(value, path)
        for rule in self.rules:
            rule.check(validated)
        return validated

    def price_milli(self, validated: Mapping[str, Any]) -> int:
        """The task's price in millicredits: the price per image times the images asked for."""
        spelling = self.spelling(validated)
        return spelling.pricing.per_image_milli(validated) * spelling.num_outputs(validated)

    def image_url_fields(self) -> tuple[str, ...]:
        """Names of the fields whose values are image URLs the worker fetches (of both
        spellings: an input holds the fields of one)."""
        return tuple(self.image_inputs())

    def image_inputs(self) -> Mapping[str, ImageLimits]:
        """Each image-URL field (of both spellings) with its limits: the MIME types it accepts
        and the most bytes of one image. The worker holds every image it reads to them (under
        the operator's own caps), and the create checks the server's own files against them."""
        return self._image_inputs

    @cached_property
    def _image_inputs(self) -> Mapping[str, ImageLimits]:
        # Every create asks: worked out once per spec (specs are registry singletons).
        fields = self.fields + (self.other_spelling.fields if self.other_spelling else ())
        return MappingProxyType({
            spec.name: spec.limits
            for spec in fields
            if isinstance(spec, ImageUrlField | ImageUrlListField)
        })

    def _value(self, validated: Mapping[str, Any], name: str | None) -> Any:
        return validated.get(name) if name is not None and name in self._by_name else None

    def count_rule(self) -> CountRule:
        """How this spelling counts the images an input asks for: ``count_field`` ("2" and 2
        both mean two), one when absent. A model whose count reads more than one field says so
        by overriding this (wan/2-7-image's mode, gpt4o-image's two names)."""
        return CountRule(fields=(self.count_field,) if self.count_field in self._by_name else ())

    def num_outputs(self, validated: Mapping[str, Any]) -> int:
        return self.spelling(validated).count_rule().count(validated)

    def output_size(self, validated: Mapping[str, Any]) -> tuple[int, int] | None:
        """(width, height) of the chosen preset or aspect ratio, scaled to the chosen resolution
        where the model has one; None when the model has no size field or it says "auto"."""
        spelling = self.spelling(validated)
        if spelling is not self:
            return spelling.output_size(validated)
        value = self._value(validated, self.size_field)
        size = output_pixels(value) if isinstance(value, str) else None
        long_side = self.resolution_long_side.get(
            str(self._value(validated, self.resolution_field))
        )
        if size is None or long_side is None:
            return size
        return scale_to_long_side(size, long_side)

    def scale(self, validated: Mapping[str, Any]) -> float | None:
        """The factor an upscaler multiplies the source image's sides by: the scale field's
        value ("2" and 2 both mean two), else ``fixed_scale``; None for other models."""
        value = self._value(validated, self.scale_field)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            # validate() has held the value to the field's enum or range.
            return float(value)
        return self.fixed_scale

    def scaled_size(
        self, validated: Mapping[str, Any], source: tuple[int, int]
    ) -> tuple[int, int] | None:
        """An upscaler's output (width, height) for a source of ``source`` = (width, height):
        each side times ``scale``, rounded, at least one pixel; None for other models."""
        factor = self.scale(validated)
        if factor is None:
            return None
        width, height = source
        return max(1, round(width * factor)), max(1, round(height * factor))

    def output_format(self, validated: Mapping[str, Any]) -> str:
        """ "png", "jpeg" or "webp" ("jpg" read as jpeg); png for models without a choice."""
        spelling = self.spelling(validated)
        if spelling is not self:
            return spelling.output_format(validated)
        value = self._value(validated, self.format_field)
        value = _FORMAT_ALIASES.get(value, value) if isinstance(value, str) else None
        return value if value in OUTPUT_FORMATS else "png"

    def seed(self, validated: Mapping[str, Any]) -> int | None:
        spelling = self.spelling(validated)
        if spelling is not self:
            return spelling.seed(validated)
        value = self._value(validated, self.seed_field)
        # An integral float (42.0) is kept as sent in the input; engines want an int.
        return None if value is None else int(value)

    def json_schema(self) -> dict[str, Any]:
        """The ``input`` object as JSON Schema, for the API's model documentation; a model
        with two spellings is ``anyOf`` the two objects."""
        if self.other_spelling is not None:
            schema: dict[str, Any] = {
                "title": self.name,
                "anyOf": [self.object_schema(), self.other_spelling.object_schema()],
            }
            if self.description:
                schema["description"] = self.description
            return schema
        return self.object_schema()

    def object_schema(self) -> dict[str, Any]:
        """This spelling's ``input`` object as JSON Schema. Other keys are allowed (and
        ignored), as Kie ignores them, so it does not forbid additional properties."""
        schema: dict[str, Any] = {
            "title": self.name,
            "type": "object",
            "properties": {
                spec.name: spec.json_schema() if spec.required else nullable(spec.json_schema())
                for spec in self.fields
            },
            "required": [spec.name for spec in self.fields if spec.required],
        }
        rules = self.cross_field_schema()
        if rules:
            schema["allOf"] = rules
        if self.description:
            schema["description"] = self.description
        if self.example:
            schema["examples"] = [dict(self.example)]
        return schema

    def cross_field_schema(self) -> list[dict[str, Any]]:
        """What ``validate`` refuses across fields, as JSON Schemas the input must match
        (``allOf``): the ``rules``, and a subclass's own checks. A schema-valid input is then
        one this server takes, as a generated client or a schema fuzzer assumes."""
        return [rule.json_schema(self.defaults()) for rule in self.rules]

    def defaults(self) -> dict[str, Any]:
        """Each field's default, by name (fields without one left out): what a left-out
        field is taken as, for the rules' JSON Schemas."""
        return {spec.name: spec.default for spec in self.fields if spec.has_default}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with null allowed too: ``validate`` counts an optional field sent as null as
    left out (clients that serialise an unset field as null), and the document says so."""
    if "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    widened = {**schema, "type": [*kinds, "null"] if "null" not in kinds else kinds}
    if "enum" in widened and None not in widened["enum"]:
        widened["enum"] = [*widened["enum"], None]
    return widened
