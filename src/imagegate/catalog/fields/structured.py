"""ArrayField and ObjectField: JSON arrays and objects whose items are themselves fields.

Most inputs are flat, but a few Kie pages take structured values: Wan 2.7 Image's
``color_palette`` (3-10 objects of ``hex`` and ``ratio``) and ``bbox_list`` (per input image, up
to two boxes of four integers). Each part is checked by an ordinary field, so a wrong value deep
inside still names its place: ``input.color_palette[2].hex``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imagegate.catalog.fields.base import FieldSpec, show
from imagegate.errors import ValidationFailed


@dataclass(frozen=True, kw_only=True)
class ArrayField(FieldSpec):
    """A JSON array of ``min_items`` to ``max_items`` values, each checked by ``items`` (whose
    own name is not used: an item is named by its index)."""

    items: FieldSpec
    min_items: int = 0
    max_items: int | None = None

    def __post_init__(self) -> None:
        if self.min_items < 0 or (self.max_items is not None and self.max_items < self.min_items):
            raise ValueError(f"field {self.name}: need 0 <= min_items <= max_items")
        super().__post_init__()

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, list):
            raise ValidationFailed(path, f"must be an array (got {show(value)})")
        if self.max_items is not None and len(value) > self.max_items:
            raise ValidationFailed(
                path, f"must hold at most {self.max_items} items (got {len(value)})"
            )
        if len(value) < self.min_items:
            raise ValidationFailed(
                path, f"must hold at least {self.min_items} items (got {len(value)})"
            )
        for index, item in enumerate(value):
            self.items.check(item, f"{path}[{index}]")
        return value

    def type_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.items.json_schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        if self.max_items is not None:
            schema["maxItems"] = self.max_items
        return schema


@dataclass(frozen=True, kw_only=True)
class ObjectField(FieldSpec):
    """A JSON object whose ``properties`` are checked by name (``required`` ones must be there).
    Keys it does not declare are kept as sent and not checked, as the top-level input's are."""

    properties: tuple[FieldSpec, ...]

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, dict):
            raise ValidationFailed(path, f"must be an object (got {show(value)})")
        for spec in self.properties:
            inner = value.get(spec.name)
            if inner is None:
                if spec.required:
                    raise ValidationFailed(f"{path}.{spec.name}", "is required")
                continue
            spec.check(inner, f"{path}.{spec.name}")
        return value

    def type_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {spec.name: spec.json_schema() for spec in self.properties},
            "required": [spec.name for spec in self.properties if spec.required],
        }
