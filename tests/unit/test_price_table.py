"""catalog/price_table.py: for every model, the price a client computes from the served table
(the rule its docstring states, written here as the web page's pricing.js applies it) equals
``ModelSpec.price_milli`` of the validated input: for every priced value, every count, every
value of the fields the count depends on, and with each of them left out."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from imagegate.catalog import BooleanField, ModelSpec, NumberField, StringField, all_models
from imagegate.catalog.price_table import price_table
from imagegate.errors import ValidationFailed

ABSENT = object()


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def client_price(schema: dict[str, Any], table: dict[str, Any], sent: dict[str, Any]) -> int:
    """The rule as the page applies it (src/imagegate/web/static/pricing.js)."""
    required = set(schema.get("required", []))
    input = dict(sent)
    for name, field in schema["properties"].items():
        if input.get(name) is None and name not in required and "default" in field:
            input[name] = field["default"]
    if table["field"] is None:
        row = table["perImage"][0]
    else:
        value = input.get(table["field"])
        value = table["absentValue"] if value is None else value
        row = next(r for r in table["perImage"] if same(r["value"], value))
    present = [input[name] for name in table["countFields"] if input.get(name) is not None]
    if present:
        count = int(present[0])
    else:
        count = next((w["count"] for w in table["absentCountWhen"]
                      if same(input.get(w["field"]), w["value"])), table["absentCount"])
    return int(row["milli"]) * count


def values_of(spec: ModelSpec, name: str) -> list[Any]:
    """Values to try in field ``name``: its choices, or a few in its range."""
    field = next((f for f in spec.fields if f.name == name), None)
    if isinstance(field, BooleanField):
        return [False, True]
    if isinstance(field, StringField) and field.enum:
        return [*field.enum, *(int(v) for v in field.enum if v.isdecimal())]
    if isinstance(field, NumberField):
        low, high = int(field.minimum or 1), int(field.maximum or 4)
        return list(range(low, min(high, low + 5) + 1))
    return []


@pytest.mark.parametrize("spec", all_models(), ids=lambda spec: spec.name)
def test_the_served_table_prices_every_input_as_create_task_charges(spec: ModelSpec) -> None:
    table = price_table(spec)
    schema = spec.object_schema()
    base = dict(spec.example)
    # The table speaks for the spelling `schema` describes (the one the page's form sends).
    assert spec.spelling(base) is spec, f"{spec.name}: the example is in the other spelling"
    varied = [name for name in (table["field"], *table["countFields"],
                                *(w["field"] for w in table["absentCountWhen"])) if name]
    choices = [[ABSENT, *values_of(spec, name)] for name in varied]
    checked = 0
    for combination in itertools.product(*choices):
        input = dict(base)
        for name, chosen in zip(varied, combination, strict=True):
            if chosen is ABSENT:
                input.pop(name, None)
            else:
                input[name] = chosen
        try:
            validated = spec.validate(input)
        except ValidationFailed:
            continue  # refused (a required field left out, a rule across fields): no price
        assert client_price(schema, table, input) == spec.price_milli(validated), (
            spec.name, input)
        checked += 1
    assert checked, f"{spec.name}: no input was priced"


def test_the_tables_keep_values_typed_and_say_how_counts_depend_on_other_fields() -> None:
    by_name = {spec.name: price_table(spec) for spec in all_models()}
    reframe = by_name["ideogram/v3-reframe"]
    assert reframe["field"] == "rendering_speed"
    assert {"value": "TURBO", "milli": 3500} in reframe["perImage"]
    assert reframe["countFields"] == ["num_images"] and reframe["absentCount"] == 1
    grok = by_name["grok-imagine/text-to-image"]
    assert grok["absentValue"] is False  # booleans stay booleans: true is not 1
    assert [row["value"] for row in grok["perImage"]] == [False, True]
    assert by_name["google/nano-banana"] == {
        "field": None, "absentValue": None, "perImage": [{"value": None, "milli": 4000}],
        "countFields": [], "absentCount": 1, "absentCountWhen": []}
    assert by_name["gpt4o-image"]["countFields"] == ["variants", "nVariants"]
    wan = by_name["wan/2-7-image"]
    assert wan["absentCount"] == 4
    assert wan["absentCountWhen"] == [{"field": "enable_sequential", "value": True, "count": 12}]
