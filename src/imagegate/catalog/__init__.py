"""The model catalog: one ModelSpec per model (input schema, defaults, limits, price, outputs).
Look models up with ``get_model``; each spec validates an ``input`` object and prices it."""

from imagegate.catalog.fields import (
    NO_DEFAULT,
    BooleanField,
    FieldSpec,
    ImageUrlField,
    ImageUrlListField,
    NumberField,
    StringField,
)
from imagegate.catalog.presets import IMAGE_SIZE_PRESETS
from imagegate.catalog.pricing import PerImage, PerImageBy, Pricing
from imagegate.catalog.registry import all_models, get_model
from imagegate.catalog.spec import ModelSpec

__all__ = [
    "IMAGE_SIZE_PRESETS",
    "NO_DEFAULT",
    "BooleanField",
    "FieldSpec",
    "ImageUrlField",
    "ImageUrlListField",
    "ModelSpec",
    "NumberField",
    "PerImage",
    "PerImageBy",
    "Pricing",
    "StringField",
    "all_models",
    "get_model",
]
