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

    def json_schema(self, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """The rule as a JSON Schema the ``input`` object must match (``defaults``: the
        fields' defaults, which a left-out field takes), so the OpenAPI document refuses
        exactly what ``check`` refuses."""
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


    def json_schema(self, defaults: Mapping[str, Any]) -> dict[str, Any]:
        return {"not": {"allOf": [
            takes_one_of(self.field, self.values, defaults),
            takes_one_of(self.other, self.other_values, defaults),
        ]}}


def takes_one_of(name: str, values: frozenset[Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Schema of "field ``name`` takes one of ``values``", a left-out (or null) field
    counting as its default (as ``check`` sees the validated input)."""
    taken = {"required": [name], "properties": {name: {"enum": sorted(values, key=repr)}}}
    if _member(defaults.get(name), values):
        return {"anyOf": [taken, not_sent(name)]}
    return taken


def sent(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Schema of "field ``name`` is sent, not null, and matches ``schema``"."""
    return {"required": [name], "properties": {name: {**schema, "not": {"type": "null"}}}}


def not_sent(name: str) -> dict[str, Any]:
    """JSON Schema of "field ``name`` is left out or null": ModelSpec counts null as absent."""
    return {"not": sent(name, {})}


def _member(value: Any, values: frozenset[Any]) -> bool:
    # Only strings and booleans are compared: rules are written on enum and boolean fields,
    # and a list (unhashable) or a number never matches.
    return isinstance(value, str | bool) and value in values
