"""``GET /api/v1/models`` over HTTP: each model's input schema is the catalog's own (enums,
ranges, defaults, descriptions, required), with its endpoint and whether it needs images."""

from __future__ import annotations

from typing import Any

import jsonschema

from imagegate.catalog import NumberField, StringField, all_models, get_model
from imagegate.catalog.price_table import price_table


async def models(api: Any) -> dict[str, dict[str, Any]]:
    # Public, as /openapi.json is: no key sent.
    response = await api.client.get("/api/v1/models")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200
    return {entry["model"]: entry for entry in body["data"]}


async def test_every_catalog_model_is_listed_in_catalog_order(api: Any) -> None:
    listed = await models(api)
    assert list(listed) == [spec.name for spec in all_models()]
    for spec in all_models():
        schema = listed[spec.name]["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert list(schema["properties"]) == [f.name for f in spec.fields]
        others = listed[spec.name]["otherSpellings"]
        assert len(others) == (spec.other_spelling is not None)
        for other in others:
            jsonschema.Draft202012Validator.check_schema(other)


async def test_reframe_schema_has_the_catalogs_enum_required_and_defaults(api: Any) -> None:
    reframe = (await models(api))["ideogram/v3-reframe"]
    spec = get_model("ideogram/v3-reframe")
    assert spec is not None
    schema = reframe["schema"]
    assert schema["required"] == ["image_url", "image_size"]
    size = next(f for f in spec.fields if f.name == "image_size")
    assert isinstance(size, StringField) and size.enum is not None
    assert schema["properties"]["image_size"]["enum"] == list(size.enum)
    assert "square_hd" in schema["properties"]["image_size"]["enum"]
    assert schema["properties"]["image_size"]["description"] == size.description
    assert schema["properties"]["rendering_speed"]["default"] == "BALANCED"
    assert schema["properties"]["image_url"]["format"] == "uri"
    assert reframe["needsImages"] is True and reframe["imageFields"] == ["image_url"]
    assert reframe["endpoint"] == "/api/v1/jobs/createTask"
    # The schema refuses what createTask refuses, and takes the spec's own example.
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(dict(spec.example))
    assert not validator.is_valid({**spec.example, "image_size": "huge"})
    assert not validator.is_valid({"image_size": "square_hd"})


async def test_numbers_carry_their_ranges_and_text_models_need_no_image(api: Any) -> None:
    listed = await models(api)
    for entry in listed.values():
        spec = get_model(entry["model"])
        assert spec is not None
        for field in spec.fields:
            if isinstance(field, NumberField):
                shown = entry["schema"]["properties"][field.name]
                assert shown.get("minimum") == field.minimum
                assert shown.get("maximum") == field.maximum
    imagen = listed["google/imagen4"]
    assert imagen["needsImages"] is False and imagen["imageFields"] == []
    assert imagen["modelEndpoint"] == "/api/v1/google/imagen-4"
    edit = listed["google/nano-banana-edit"]
    assert edit["needsImages"] is True
    assert edit["schema"]["properties"]["image_urls"]["type"] == "array"
    assert listed["gpt4o-image"]["needsImages"] is False  # filesUrl is optional
    assert listed["gpt4o-image"]["modelEndpoint"] == "/api/v1/gpt4o-image/generate"


async def test_each_model_carries_the_price_table_create_task_charges_by(api: Any) -> None:
    listed = await models(api)
    for spec in all_models():
        assert listed[spec.name]["pricing"] == price_table(spec)
    reframe = listed["ideogram/v3-reframe"]["pricing"]
    assert reframe["field"] == "rendering_speed"
    assert {"value": "QUALITY", "milli": 10000} in reframe["perImage"]
