"""Rules across fields: a value one field may take that a page refuses together with a value of
another ("1:4 ... aspect ratios are not supported in 2K or 4K resolutions"). Each field checks
its own value; a ``ModelSpec`` checks its rules once every field has passed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from imagegate.catalog.fields.base import show
from imagegate.errors import ValidationFailed


class InputRule(Protocol):
    """A check on a validated input (defaults applied) that no single field can make."""

    def field_names(self) -> tuple[str, ...]:
        """The fields the rule reads; each must be a field of the model."""
        ...

    def check(self, validated: Mapping[str, Any]) -> None:
        """Raise ``ValidationFailed`` naming ``input.<field>`` if the input breaks the rule."""
        ...


@dataclass(frozen=True)
class NotTogether:
    """``field`` may not take one of ``values`` while ``other`` takes one of ``other_values``.

    The refusal names ``field``: the one the page's note is written on, so the message reads
    as the page does. A field left out (and without a default) matches no value.
    """

    field: str
    values: frozenset[Any]
    other: str
    other_values: frozenset[Any]

    def field_names(self) -> tuple[str, ...]:
        return (self.field, self.other)

    def check(self, validated: Mapping[str, Any]) -> None:
        value = validated.get(self.field)
        other = validated.get(self.other)
        if _member(value, self.values) and _member(other, self.other_values):
            raise ValidationFailed(
                f"input.{self.field}",
                f"{show(value)} is not supported with {self.other} {show(other)}",
            )


def _member(value: Any, values: frozenset[Any]) -> bool:
    # Only strings and booleans are compared: rules are written on enum and boolean fields,
    # and a list (unhashable) or a number never matches.
    return isinstance(value, str | bool) and value in values
