"""A model's price per output image in millicredits (1 credit = 1000), read from its input, and
credits as Kie shows them. Millicredits keep prices like 3.5 credits exact in integer arithmetic
(the ledger's unit)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Pricing(Protocol):
    """Prices one output image; ``ModelSpec`` multiplies by the number of images."""

    def per_image_milli(self, validated: Mapping[str, Any]) -> int: ...


@dataclass(frozen=True)
class PerImage:
    """The same price for every image."""

    milli: int

    def per_image_milli(self, validated: Mapping[str, Any]) -> int:
        return self.milli


@dataclass(frozen=True, eq=False)
class PerImageBy:
    """A price per image that depends on one enum field (e.g. ``rendering_speed``)."""

    field: str
    milli: Mapping[str, int]
    # The value to price by when the field is absent and has no default: Qwen 3 Pro's
    # text-to-image page documents no default resolution, yet its price depends on it.
    absent: str | None = None

    def per_image_milli(self, validated: Mapping[str, Any]) -> int:
        value = validated.get(self.field, self.absent)
        if not isinstance(value, str) or value not in self.milli:
            # validate() guarantees an enum value; getting here means the table misses one.
            raise KeyError(f"no price for {self.field}={value!r}")
        return self.milli[value]


MILLI = 1000


def credits_to_milli(credits: float) -> int:
    """Credits as the integer millicredits the ledger keeps (3.5 credits → 3500)."""
    return round(credits * MILLI)


def milli_to_credits(milli: int) -> float | int:
    """Millicredits as the number Kie shows: an integer when whole, else a decimal."""
    return milli // MILLI if milli % MILLI == 0 else milli / MILLI
