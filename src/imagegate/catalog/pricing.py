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


@dataclass(frozen=True)
class CountRule:
    """How many images an input asks for: the first of ``fields`` it holds (an integer or a
    numeric string such as ``"2"``), else the ``count`` of the first ``(field, value, count)``
    of ``absent_when`` whose field holds that value (compared by type too), else ``absent``.

    Data rather than code so that a client can count (and price) an input before sending it
    (catalog/price_table.py); ``ModelSpec.num_outputs`` counts by it too.
    """

    fields: tuple[str, ...] = ()
    absent: int = 1
    absent_when: tuple[tuple[str, Any, int], ...] = ()

    def count(self, validated: Mapping[str, Any]) -> int:
        for name in self.fields:
            value = validated.get(name)
            if value is not None:
                # validate() has already held it to the field's range.
                return int(value)
        for name, expected, count in self.absent_when:
            value = validated.get(name)
            if type(value) is type(expected) and value == expected:
                return count
        return self.absent


MILLI = 1000


def credits_to_milli(credits: float) -> int:
    """Credits as the integer millicredits the ledger keeps (3.5 credits → 3500)."""
    return round(credits * MILLI)


def milli_to_credits(milli: int) -> float | int:
    """Millicredits as the number Kie shows: an integer when whole, else a decimal."""
    return milli // MILLI if milli % MILLI == 0 else milli / MILLI
