"""StringField: a string with an optional enum, length bounds and pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from imagegate.catalog.fields.base import FieldSpec, show
from imagegate.errors import ValidationFailed


@dataclass(frozen=True, kw_only=True)
class StringField(FieldSpec):
    enum: tuple[str, ...] | None = None
    max_length: int | None = None  # in characters (code points), as the specs count them
    # Kie's newer pages give a floor too ("3-5000 characters"); same unit as max_length.
    min_length: int | None = None
    # A regular expression the whole value must match (Wan's colour "#C2D1E6"). Written in the
    # subset Python and JSON Schema (ECMA 262) read alike, since the schema shows it as given.
    pattern: str | None = None
    # num_images is documented as a string enum ("1"-"4") yet clients send integers too.
    # DESIGN.md accepts both and echoes the value as sent, so the integer stays an integer.
    accept_integers: bool = False

    def __post_init__(self) -> None:
        if self.accept_integers and not self._integer_choices():
            raise ValueError(f"field {self.name}: accept_integers needs an enum of integers")
        low, high = self.min_length or 0, self.max_length
        if low < 0 or (high is not None and low > high):
            raise ValueError(f"field {self.name}: need 0 <= min_length <= max_length")
        if self.pattern is not None:
            re.compile(self.pattern)  # a typo in a spec fails at import
        super().__post_init__()

    def _integer_choices(self) -> frozenset[int]:
        # Only canonical spellings: "01" in an enum would not make 1 acceptable.
        return frozenset(
            int(choice)
            for choice in self.enum or ()
            if choice.isdecimal() and str(int(choice)) == choice
        )

    def _enum_problem(self, value: object) -> str:
        return f"must be one of {', '.join(self.enum or ())} (got {show(value)})"

    def check(self, value: object, path: str) -> object:
        if self.accept_integers and not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationFailed(path, self._enum_problem(value))
            if value not in self._integer_choices():
                raise ValidationFailed(path, self._enum_problem(value))
            return value
        if not isinstance(value, str):
            raise ValidationFailed(path, f"must be a string (got {show(value)})")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationFailed(
                path, f"must be at most {self.max_length} characters (got {len(value)})"
            )
        if self.min_length is not None and len(value) < self.min_length:
            unit = "character" if self.min_length == 1 else "characters"
            raise ValidationFailed(
                path, f"must be at least {self.min_length} {unit} (got {len(value)})"
            )
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            raise ValidationFailed(path, f"must match {self.pattern} (got {show(value)})")
        if self.enum is not None and value not in self.enum:
            raise ValidationFailed(path, self._enum_problem(value))
        return value

    def type_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.accept_integers:
            schema["type"] = ["string", "integer"]
            schema["enum"] = [*(self.enum or ()), *sorted(self._integer_choices())]
        elif self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        return schema
