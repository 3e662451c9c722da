"""FieldSpec, the base of every input field: name, presence, default, docs and a type check.
Presence, null and defaults are ``ModelSpec``'s job; a field only checks a value that was sent."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import KW_ONLY, dataclass
from typing import Any, Final

from imagegate.errors import ValidationFailed


class _Missing(enum.Enum):
    NO_DEFAULT = enum.auto()


# A sentinel rather than None: a default of null would be a real (if odd) default.
NO_DEFAULT: Final = _Missing.NO_DEFAULT

_SHOW_LIMIT = 60


def show(value: object) -> str:
    """Render a refused value for "(got ...)": JSON's words, strings quoted and cut short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
        # A 10 000-character prompt must not be echoed back whole in an error message.
        return text if len(text) <= _SHOW_LIMIT else text[: _SHOW_LIMIT - 4] + "...'"
    if isinstance(value, int):
        # Python refuses str() of ints past 4300 digits; nobody needs to see those anyway.
        return repr(value) if value.bit_length() <= 128 else "a very large integer"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def show_limit(number: float) -> str:
    """Render a bound from a spec the way the spec writes it: 20, not 20.0."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return repr(number)


@dataclass(frozen=True)
class FieldSpec(ABC):
    """One field of a model's ``input`` object."""

    name: str
    _: KW_ONLY
    required: bool = False
    default: object = NO_DEFAULT
    description: str = ""
    examples: tuple[object, ...] = ()

    def __post_init__(self) -> None:
        # A spec's own default and examples must pass its own check: a typo in a ModelSpec fails
        # at import, not on a user's request.
        values = (self.default, *self.examples) if self.has_default else self.examples
        for value in values:
            try:
                self.check(value, self.name)
            except ValidationFailed as exc:
                raise ValueError(f"field {self.name}: {value!r} {exc.problem}") from exc

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @abstractmethod
    def check(self, value: object, path: str) -> object:
        """Return ``value`` unchanged if it fits, else raise ``ValidationFailed(path, ...)``."""

    @abstractmethod
    def type_schema(self) -> dict[str, Any]:
        """The JSON Schema keywords of this field's type and limits."""

    def json_schema(self) -> dict[str, Any]:
        """This field as JSON Schema: type and limits, then description, default, examples."""
        schema = self.type_schema()
        if self.description:
            schema["description"] = self.description
        if self.has_default:
            schema["default"] = self.default
        if self.examples:
            schema["examples"] = list(self.examples)
        return schema
