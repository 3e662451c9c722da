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
    """A price per image that depends on one field's value (an enum such as
    ``rendering_speed``, or a boolean such as Grok Imagine's ``enable_pro``).

    ``absent`` is the value to price when the field was not sent and has no default: some
    pages document a field without a default yet say what leaving it out means (GPT Image 2
    without ``resolution`` makes a 1K image).
    """

    field: str
    milli: Mapping[Any, int]
    absent: Any = None

    def __post_init__(self) -> None:
        if self.absent is not None and self.absent not in self.milli:
            raise ValueError(f"no price for {self.field}={self.absent!r}, the absent value")

    def per_image_milli(self, validated: Mapping[str, Any]) -> int:
        value = validated.get(self.field)
        if value is None:
            value = self.absent
        # bool is an int: a table of strings must not price 1 as True, nor True as "1".
        for key, milli in self.milli.items():
            if type(key) is type(value) and key == value:
                return milli
        # validate() guarantees a priced value; getting here means the table misses one.
        raise KeyError(f"no price for {self.field}={value!r}")


MILLI = 1000


def credits_to_milli(credits: float) -> int:
    """Credits as the integer millicredits the ledger keeps (3.5 credits → 3500)."""
    return round(credits * MILLI)


def milli_to_credits(milli: int) -> float | int:
    """Millicredits as the number Kie shows: an integer when whole, else a decimal."""
    return milli // MILLI if milli % MILLI == 0 else milli / MILLI
