"""The field types a model's input is made of; each checks one JSON type and its limits."""

from imagegate.catalog.fields.base import NO_DEFAULT, FieldSpec
from imagegate.catalog.fields.boolean import BooleanField
from imagegate.catalog.fields.image_url import ImageLimits, ImageUrlField, ImageUrlListField
from imagegate.catalog.fields.number import NumberField
from imagegate.catalog.fields.string import StringField
from imagegate.catalog.fields.structured import ArrayField, ObjectField

__all__ = [
    "NO_DEFAULT",
    "ArrayField",
    "BooleanField",
    "FieldSpec",
    "ImageLimits",
    "ImageUrlField",
    "ImageUrlListField",
    "NumberField",
    "ObjectField",
    "StringField",
]
