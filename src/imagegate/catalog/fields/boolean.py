"""BooleanField: JSON true or false, nothing that merely looks like one ("yes", 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imagegate.catalog.fields.base import FieldSpec, show
from imagegate.errors import ValidationFailed


@dataclass(frozen=True, kw_only=True)
class BooleanField(FieldSpec):
    def check(self, value: object, path: str) -> object:
        if not isinstance(value, bool):
            raise ValidationFailed(path, f"must be a boolean (got {show(value)})")
        return value

    def type_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}
