"""NumberField: a JSON number with optional bounds, step and integer-only rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from imagegate.catalog.fields.base import FieldSpec, show, show_limit
from imagegate.errors import ValidationFailed


def _decimal(number: float) -> Decimal:
    # repr() of a float is the shortest text that reads back as it, i.e. what the client wrote
    # in its JSON; Decimal(float) would carry the binary error (0.1 → 0.1000000000000000055...).
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


_STEP_TOLERANCE = Decimal("1e-9")


@dataclass(frozen=True, kw_only=True)
class NumberField(FieldSpec):
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None  # counted from minimum (or 0): 0-20 step 0.1 allows 4.5, not 4.55
    # Integral floats (25.0) pass and are kept as sent, as JSON does not tell 25 from 25.0.
    integer: bool = False

    def __post_init__(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name}: minimum above maximum")
        if self.step is not None and self.step <= 0:
            raise ValueError(f"field {self.name}: step must be positive")
        super().__post_init__()

    def check(self, value: object, path: str) -> object:
        kind = "an integer" if self.integer else "a number"
        # bool is an int subclass in Python, but JSON's true is not a number.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(path, f"must be {kind} (got {show(value)})")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationFailed(path, f"must be a finite number (got {show(value)})")
        if self.integer and isinstance(value, float) and not value.is_integer():
            raise ValidationFailed(path, f"must be an integer (got {show(value)})")
        self._check_range(value, path)
        if self.step is not None and not self._on_step(value):
            raise ValidationFailed(
                path, f"must be a multiple of {show_limit(self.step)} (got {show(value)})"
            )
        return value

    def _check_range(self, value: float, path: str) -> None:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            if not low <= value <= high:
                raise ValidationFailed(
                    path,
                    f"must be between {show_limit(low)} and {show_limit(high)} (got {show(value)})",
                )
        elif low is not None and value < low:
            raise ValidationFailed(path, f"must be at least {show_limit(low)} (got {show(value)})")
        elif high is not None and value > high:
            raise ValidationFailed(path, f"must be at most {show_limit(high)} (got {show(value)})")

    def _on_step(self, value: float) -> bool:
        assert self.step is not None
        origin = self.minimum if self.minimum is not None else 0
        step = _decimal(self.step)
        try:
            remainder = (_decimal(value) - _decimal(origin)) % step
        except InvalidOperation:
            # Only numbers far beyond any sane range get here (the quotient outgrows Decimal's
            # precision); they are off any step a spec could mean.
            return False
        # A client's float arithmetic lands next to the step, not on it (0.1 + 0.2 is
        # 0.30000000000000004): within a billionth of a step counts as on it.
        return min(remainder, step - remainder) <= step * _STEP_TOLERANCE

    def type_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        # multipleOf 1 says nothing that "integer" does not.
        if self.step is not None and not (self.integer and self.step == 1):
            schema["multipleOf"] = self.step
        return schema
