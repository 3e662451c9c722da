"""One seed range, 0..2147483647, on every surface (issue 20, point 5: the Kie createTask took
±2**64 while Ideogram's routes took 0-2147483647): createTask v1 and v2 for every model with a
seed, a per-model endpoint, and Ideogram's two reframe forms; the OpenAPI document says the
same range wherever a seed appears."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from imagegate.catalog import ModelSpec, NumberField, all_models
from imagegate.catalog.seeds import SEED_MAX, SEED_MIN

from photos import photo_file

GOOD = [SEED_MIN, SEED_MAX, float(SEED_MAX)]
BAD = [SEED_MAX + 1, -1, 2**64, -(2**64), 2**63]
SEEDED = [spec for spec in all_models() if any(f.name == "seed" for f in spec.fields)]


def seed_field(spec: ModelSpec) -> NumberField:
    field = next(f for f in spec.fields if f.name == "seed")
    assert isinstance(field, NumberField)
    return field


def test_the_range_is_the_one_the_documents_give() -> None:
    # Ideogram's reference (spec 003): "seed integer Optional 0-2147483647".
    assert (SEED_MIN, SEED_MAX) == (0, 2147483647)
    # Every model with a seed names it ``seed`` and holds it to that range.
    assert len(SEEDED) >= 20
    for spec in SEEDED:
        field = seed_field(spec)
        assert (field.minimum, field.maximum, field.integer) == (SEED_MIN, SEED_MAX, True), spec


def refused_naming(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == 422 and body["msg"].startswith(f"{field}: "), body
    assert "between 0 and 2147483647" in body["msg"], body


@pytest.fixture
async def unlimited_api(harness_opener: Any, runtime_factory: Any) -> AsyncIterator[Any]:
    """``api`` without the create rate limit: a test here creates a hundred tasks at once."""
    runtime = runtime_factory(database_url="memory://", create_rate="100000/1s")
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        yield harness


@pytest.mark.parametrize("path", ["/api/v1/jobs/createTask", "/api/v2/jobs/createTask"])
async def test_create_task_holds_every_models_seed_to_the_range(
    unlimited_api: Any, path: str
) -> None:
    api = unlimited_api
    for spec in SEEDED:
        for seed in GOOD + BAD:
            body = {"model": spec.name, "input": {**spec.example, "seed": seed}}
            response = await api.client.post(path, json=body, headers=api.auth)
            if seed in GOOD:
                assert response.status_code == 200, (spec.name, seed, response.text)
            else:
                refused_naming(response, "input.seed")


async def test_a_per_model_endpoint_holds_the_seed_to_the_range(api: Any) -> None:
    for seed in GOOD + BAD:
        response = await api.client.post(
            "/api/v1/google/imagen-4", json={"prompt": "a lighthouse", "seed": seed},
            headers=api.auth,
        )
        if seed in GOOD:
            assert response.status_code == 200 and response.json()["code"] == 200, response.text
        else:
            refused_naming(response, "seed")


REFRAMES = [
    ("/v1/ideogram-v3/reframe", "image", "1024x1024"),
    ("/reframe", "image_file", "RESOLUTION_1024_1024"),
]


@pytest.mark.parametrize(("path", "image", "resolution"), REFRAMES)
async def test_ideograms_reframe_holds_the_seed_to_the_same_range(
    api: Any, path: str, image: str, resolution: str
) -> None:
    photo = photo_file()
    for seed in BAD:
        response = await api.client.post(
            path, data={"resolution": resolution, "seed": str(seed)},
            files={image: ("photo.png", photo, "image/png")}, headers={"Api-Key": api.key},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"] == (
            f"seed must be an integer from 0 to 2147483647 (got {seed})"
        )


@pytest.mark.parametrize(("path", "image", "resolution"), REFRAMES)
async def test_ideograms_reframe_takes_the_largest_seed(
    live_api: Any, path: str, image: str, resolution: str
) -> None:
    response = await live_api.client.post(
        path, data={"resolution": resolution, "seed": str(SEED_MAX)},
        files={image: ("photo.png", photo_file(), "image/png")},
        headers={"Api-Key": live_api.key},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"][0]["seed"] == SEED_MAX


def seed_schemas(node: Any) -> list[dict[str, Any]]:
    """Every schema the document gives a property named ``seed``."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("seed"), dict):
            found.append(properties["seed"])
        for value in node.values():
            found.extend(seed_schemas(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(seed_schemas(value))
    return found


async def test_the_openapi_document_gives_every_seed_the_same_range(api: Any) -> None:
    document = (await api.client.get("/openapi.json")).json()
    schemas = seed_schemas(document)
    assert len(schemas) >= len(SEEDED) + 2  # the models', and Ideogram's two forms
    for schema in schemas:
        assert (schema.get("minimum"), schema.get("maximum")) == (SEED_MIN, SEED_MAX), schema
