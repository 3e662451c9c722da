"""The field types on their own: checks, messages, JSON Schema and refusal of bad specs."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from imagegate.catalog import (
    NO_DEFAULT,
    BooleanField,
    FieldSpec,
    ImageUrlField,
    NumberField,
    PerImage,
    PerImageBy,
    StringField,
)
from imagegate.catalog.fields.base import show
from imagegate.errors import ValidationFailed


def problem(field: FieldSpec, value: object) -> str:
    with pytest.raises(ValidationFailed) as caught:
        field.check(value, "input.x")
    assert caught.value.field == "input.x"
    return caught.value.problem


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        ("yes", "'yes'"),
        (3, "3"),
        (2.5, "2.5"),
        ([1], "an array"),
        ({"a": 1}, "an object"),
        (10**200, "a very large integer"),
    ],
)
def test_show_renders_values_in_json_terms(value: object, shown: str) -> None:
    assert show(value) == shown


def test_show_cuts_long_strings() -> None:
    shown = show("a" * 500)
    assert len(shown) == 60
    assert shown.startswith("'aaa")
    assert shown.endswith("...'")


def test_field_without_default_reports_so() -> None:
    field = StringField("s")
    assert field.default is NO_DEFAULT
    assert not field.has_default
    assert StringField("s", default="").has_default


def test_number_field_one_sided_bounds() -> None:
    assert problem(NumberField("n", minimum=1), 0) == "must be at least 1 (got 0)"
    assert problem(NumberField("n", maximum=1.5), 2) == "must be at most 1.5 (got 2)"
    assert NumberField("n", minimum=1).check(10**30, "input.x") == 10**30
    assert NumberField("n").check(-3.25, "input.x") == -3.25


@pytest.mark.parametrize(
    ("value", "ok"), [(0.25, True), (0.75, True), (1.25, True), (0.5, False), (1, False)]
)
def test_number_step_counts_from_the_minimum(value: float, ok: bool) -> None:
    field = NumberField("n", minimum=0.25, maximum=2, step=0.5)
    if ok:
        assert field.check(value, "input.x") == value
    else:
        assert problem(field, value) == f"must be a multiple of 0.5 (got {value})"


def test_number_step_takes_a_clients_float_arithmetic() -> None:
    # 0.1 + 0.2 == 0.30000000000000004 in binary: a client that computed its guidance_scale
    # meant 0.3, and gets it (kept as sent); a value a real step off is still refused.
    field = NumberField("n", minimum=0, maximum=20, step=0.1)
    assert field.check(0.3, "input.x") == 0.3
    assert field.check(0.1 + 0.2, "input.x") == 0.30000000000000004
    assert field.check(4.1 * 3, "input.x") == 4.1 * 3  # 12.299999999999999
    assert problem(field, 0.35) == "must be a multiple of 0.1 (got 0.35)"
    assert problem(field, 0.3001) == "must be a multiple of 0.1 (got 0.3001)"


def test_number_huge_value_off_a_fine_step_is_refused_not_crashed() -> None:
    assert problem(NumberField("n", step=0.1), 1e300).startswith("must be a multiple of 0.1")


def test_integer_number_schema_omits_multiple_of_one() -> None:
    assert NumberField("n", integer=True, step=1, minimum=0).type_schema() == {
        "type": "integer",
        "minimum": 0,
    }
    assert NumberField("n", step=0.5).type_schema() == {"type": "number", "multipleOf": 0.5}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: StringField("s", enum=("a", "b"), default="c"),
            "field s: 'c' must be one of a, b",
        ),
        (lambda: StringField("s", max_length=2, default="abc"), "field s: 'abc' must be at most"),
        (lambda: NumberField("n", minimum=5, maximum=1), "minimum above maximum"),
        (lambda: NumberField("n", step=0), "step must be positive"),
        (lambda: NumberField("n", integer=True, default=1.5), "must be an integer"),
        (lambda: BooleanField("b", default="false"), "must be a boolean"),
        (lambda: ImageUrlField("u", examples=("not a url",)), "must be an http(s) URL"),
        (lambda: StringField("s", enum=("a", "b"), accept_integers=True), "enum of integers"),
        (lambda: StringField("s", accept_integers=True), "enum of integers"),
    ],
)
def test_a_spec_that_contradicts_itself_fails_at_definition(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_accept_integers_uses_canonical_enum_spellings_only() -> None:
    field = StringField("s", enum=("1", "02", "x"), accept_integers=True)
    assert field.check(1, "input.x") == 1
    assert problem(field, 2) == "must be one of 1, 02, x (got 2)"
    assert field.check("02", "input.x") == "02"


def test_string_schema() -> None:
    assert StringField(
        "s", enum=("a",), max_length=3, default="a", description="d"
    ).json_schema() == {
        "type": "string",
        "enum": ["a"],
        "maxLength": 3,
        "default": "a",
        "description": "d",
    }


def test_image_url_schema_carries_the_fetch_limits() -> None:
    schema = ImageUrlField("u", examples=("https://example.com/a.png",)).json_schema()
    assert schema == {
        "type": "string",
        "maxLength": 2048,
        "format": "uri",
        "x-max-bytes": 10 * 1024 * 1024,
        "x-accepted-types": ["image/jpeg", "image/png", "image/webp"],
        "examples": ["https://example.com/a.png"],
    }


def test_per_image_pricing() -> None:
    assert PerImage(4000).per_image_milli({}) == 4000
    by_speed = PerImageBy("speed", {"FAST": 1, "SLOW": 2})
    assert by_speed.per_image_milli({"speed": "SLOW"}) == 2
    with pytest.raises(KeyError, match="no price for speed='MEDIUM'"):
        by_speed.per_image_milli({"speed": "MEDIUM"})
