"""Every model of the catalog, through createTask on the mock engine: its own example runs and
gives the right number, size and type of images; a value outside each field's documented
limits is a 422 naming the field, and creates nothing.

The bad values are derived from each field's own limits (an enum's non-member, a number past
its range or off its step, a string past its length, a wrong JSON type), so a new ModelSpec is
covered the day it is registered."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from test_api_jobs_models import wait_terminal

from imagegate.catalog import (
    BooleanField,
    FieldSpec,
    ImageUrlField,
    ImageUrlListField,
    ModelSpec,
    NumberField,
    StringField,
    all_models,
)

SOURCE_SIZE = (96, 64)
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def spellings(spec: ModelSpec) -> list[ModelSpec]:
    return [spec, *([spec.other_spelling] if spec.other_spelling else [])]


def with_served_images(spec: ModelSpec, example: dict[str, Any], loopback: Any) -> dict[str, Any]:
    """The example with each image URL (the page's, on the internet) replaced by an image
    served on loopback, the same number of them."""
    raw = dict(example)
    for name in spec.image_url_fields():
        value = raw.get(name)
        if isinstance(value, list):
            raw[name] = [loopback.serve_image(f"/{name}-{i}.png", SOURCE_SIZE)
                         for i in range(len(value))]  # fmt: skip
        elif isinstance(value, str):
            raw[name] = loopback.serve_image(f"/{name}.png", SOURCE_SIZE)
    return raw


def expected_size(spec: ModelSpec, validated: dict[str, Any], has_source: bool) -> tuple[int, int]:
    size = spec.output_size(validated)
    if size is not None:
        return size
    if not has_source:
        return (1024, 1024)
    return spec.scaled_size(validated, SOURCE_SIZE) or SOURCE_SIZE


CASES = [(spec, spelling) for spec in all_models() for spelling in spellings(spec)]
IDS = [f"{spec.name}{'' if s is spec else ':other-spelling'}" for spec, s in CASES]


@pytest.mark.parametrize(("spec", "spelling"), CASES, ids=IDS)
async def test_the_example_runs_on_the_mock_engine(
    live_api: Any, loopback: Any, spec: ModelSpec, spelling: ModelSpec
) -> None:
    raw = with_served_images(spec, dict(spelling.example), loopback)
    response = await live_api.create({"model": spec.name, "input": raw})
    assert response.status_code == 200, response.text
    assert "X-Imagegate-Ignored-Fields" not in response.headers
    data = await wait_terminal(live_api, response.json()["data"]["taskId"], timeout=60)
    assert data["state"] == "success", data
    validated = spec.validate(raw)
    has_source = any(raw.get(name) for name in spec.image_url_fields())
    size = expected_size(spec, validated, has_source)
    urls = json.loads(data["resultJson"])["resultUrls"]
    assert len(urls) == spec.num_outputs(validated)
    for url in urls:
        image = await live_api.client.get(url.removeprefix("http://testserver"))
        assert image.headers["content-type"] == _MIME[spec.output_format(validated)]
        assert Image.open(io.BytesIO(image.content)).size == size


def bad_values(field: FieldSpec) -> Iterator[object]:
    """Values the field's own limits refuse."""
    if isinstance(field, BooleanField):
        yield "yes"
    elif isinstance(field, ImageUrlListField):
        yield "https://example.com/a.png"  # one URL, not a list of them
        yield ["not a url"]
        yield ["https://example.com/a.png"] * (field.max_items + 1)
    elif isinstance(field, ImageUrlField):
        yield "not a url"
        yield 42
    elif isinstance(field, StringField):
        yield {"an": "object"}
        if field.enum is not None:
            yield "not-a-choice"
        if field.max_length is not None:
            yield "a" * (field.max_length + 1)
    elif isinstance(field, NumberField):
        yield "a string"
        if field.minimum is not None:
            yield field.minimum - (field.step or 1)
        if field.maximum is not None:
            yield field.maximum + (field.step or 1)
        if field.integer:
            yield 1.5 + (field.minimum or 0)


@pytest.mark.parametrize(("spec", "spelling"), CASES, ids=IDS)
async def test_a_value_outside_each_fields_limits_is_422_naming_it(
    api: Any, spec: ModelSpec, spelling: ModelSpec
) -> None:
    for field in spelling.fields:
        values = list(bad_values(field))
        # Every field of the five basic kinds has a value its limits refuse (a wrong type, at
        # least); the structured fields (Wan's palette) have tests of their own.
        basic = (BooleanField, ImageUrlField, ImageUrlListField, StringField, NumberField)
        assert values or not isinstance(field, basic), field.name
        for value in values:
            raw = {**spelling.example, field.name: value}
            response = await api.create({"model": spec.name, "input": raw})
            assert response.status_code == 422, (field.name, value, response.text)
            answer = response.json()
            assert answer["code"] == 422, answer
            assert answer["msg"].startswith(f"input.{field.name}"), (field.name, value, answer)
    assert await api.runtime.store.count_by_state() == {}
