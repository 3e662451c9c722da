"""``GET /api/v1/models``: the catalog as JSON, one JSON Schema of ``input`` per model, and
the rule that prices an input (``pricing``, catalog/price_table.py).

The schemas come from the catalog's field definitions (``ModelSpec.json_schema``), the same
ones createTask validates against, so a form built from them (the web playground) cannot drift
from what the API accepts. Public: it says nothing that ``/openapi.json`` does not.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.envelope import success
from imagegate.api.model_endpoints import ENDPOINTS
from imagegate.catalog import ImageUrlField, ImageUrlListField, ModelSpec, all_models
from imagegate.catalog.price_table import price_table

router = APIRouter(tags=["catalog"])

CREATE_TASK: Final = "/api/v1/jobs/createTask"
# Kie's own per-model create paths, besides createTask (api/gpt4o_image.py, flux_kontext.py,
# model_endpoints.py): a client written against one of them keeps its path.
_MODEL_ENDPOINTS: Final = {
    "gpt4o-image": "/api/v1/gpt4o-image/generate",
    "flux-kontext-pro": "/api/v1/flux/kontext/generate",
    "flux-kontext-max": "/api/v1/flux/kontext/generate",
    **{endpoint.model: endpoint.path for endpoint in ENDPOINTS},
}

# catalog/price_table.py: what createTask charges for an input in `schema`'s spelling, so a
# client can show the price before it sends the request.
_PRICING: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["field", "absentValue", "perImage", "countFields", "absentCount",
                 "absentCountWhen"],
    "description": "The price in millicredits (1 credit = 1000) of an input with the schema's"
                   " defaults applied: the perImage entry whose value equals input[field]"
                   " (absentValue when absent; field null: the one entry), times the first of"
                   " input[countFields] present (else the count of the first absentCountWhen"
                   " entry the input matches, else absentCount)",
    "properties": {
        "field": {"type": ["string", "null"]},
        "absentValue": {},
        "perImage": {"type": "array", "items": {
            "type": "object", "required": ["value", "milli"],
            "properties": {"value": {}, "milli": {"type": "integer", "minimum": 0}}}},
        "countFields": {"type": "array", "items": {"type": "string"}},
        "absentCount": {"type": "integer", "minimum": 1},
        "absentCountWhen": {"type": "array", "items": {
            "type": "object", "required": ["field", "value", "count"],
            "properties": {"field": {"type": "string"}, "value": {},
                           "count": {"type": "integer", "minimum": 1}}}},
    },
}

_MODEL: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["model", "description", "endpoint", "modelEndpoint", "imageFields",
                 "needsImages", "schema", "otherSpellings", "pricing"],
    "properties": {
        "model": {"type": "string", "description": "The wire name createTask takes"},
        "description": {"type": "string"},
        "endpoint": {"type": "string", "description": "Where to create its tasks"},
        "modelEndpoint": {"type": ["string", "null"],
                          "description": "Kie's per-model create path, where there is one"},
        "imageFields": {"type": "array", "items": {"type": "string"},
                        "description": "Input fields that take image URLs"},
        "needsImages": {"type": "boolean",
                        "description": "Whether an input image is required"},
        "schema": {"type": "object", "description": "The `input` object as JSON Schema"},
        "otherSpellings": {
            "type": "array", "items": {"type": "object"},
            "description": "The same input in other field names the model also takes, as"
                           " JSON Schema (nano-banana-pro: Kie's live names beside spec 002's)",
        },
        "pricing": _PRICING,
    },
}
_MODELS_DOC: Final = schemas.operation(
    schemas.responses({"type": "array", "items": _MODEL}), security=None
)


def needs_images(spec: ModelSpec) -> bool:
    """True when the model cannot run without an input image (a required URL, or a list that
    must hold at least one)."""
    for field in spec.fields:
        if isinstance(field, ImageUrlField) and field.required:
            return True
        if isinstance(field, ImageUrlListField) and (field.required and field.min_items > 0):
            return True
    return False


def model_view(spec: ModelSpec) -> dict[str, Any]:
    return {
        "model": spec.name,
        "description": spec.description,
        "endpoint": CREATE_TASK,
        "modelEndpoint": _MODEL_ENDPOINTS.get(spec.name),
        "imageFields": list(spec.image_url_fields()),
        "needsImages": needs_images(spec),
        "schema": spec.object_schema(),
        "otherSpellings": (
            [spec.other_spelling.object_schema()] if spec.other_spelling is not None else []
        ),
        "pricing": price_table(spec),
    }


@router.get("/api/v1/models", openapi_extra=_MODELS_DOC)
async def list_models() -> Response:
    """Every model imagegate knows, in the catalog's order, with its input's JSON Schema."""
    return success([model_view(spec) for spec in all_models()])
