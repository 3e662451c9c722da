"""The one router both Ideogram endpoints register on, and what their declarations share: the
documented responses, the ``Api-Key`` header scheme and the multipart request body's OpenAPI
shape (FastAPI cannot derive it: the handlers read the form themselves).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.security import APIKeyHeader

from imagegate.api import schemas
from imagegate.api.ideogram.answers import ErrorAnswer, ReframeAnswer

router = APIRouter(tags=["ideogram"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ReframeAnswer, "description": "Image re-frames generated successfully."},
    400: {"model": ErrorAnswer, "description": "Not a multipart/form-data request."},
    401: {"model": ErrorAnswer, "description": "Missing or wrong Api-Key."},
    402: {"model": ErrorAnswer, "description": "The account's balance is too short."},
    403: {"model": ErrorAnswer, "description": "The model is disabled (no engine serves it)."},
    422: {"model": ErrorAnswer, "description": "A field out of its limits, or an unusable image."},
    429: {"model": ErrorAnswer, "description": "Rate limited (see Retry-After)."},
    500: {"model": ErrorAnswer, "description": "The task failed on the engine's side."},
    504: {"model": ErrorAnswer, "description": "The task is still running (it is kept)."},
}

# Declares the header in the OpenAPI document; auth.authenticate reads it (and the others).
API_KEY = APIKeyHeader(name="Api-Key", scheme_name="IdeogramApiKey", auto_error=False)

FILE = {"type": "string", "format": "binary"}


def form_body(
    fields: dict[str, dict[str, Any]], required: list[str], description: str
) -> dict[str, Any]:
    """``openapi_extra`` declaring a required multipart/form-data body with ``fields``, and
    the ``Idempotency-Key`` header."""
    schema = {"type": "object", "required": required, "properties": fields}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"multipart/form-data": {"schema": schema}},
        },
        # The form's fields and files are what a repeat with the same key must match.
        "parameters": [schemas.IDEMPOTENCY_KEY_PARAMETER],
        # Beside Ideogram's own Api-Key (the API_KEY dependency declares it), the Kie
        # surfaces' two ways are taken here too (one key per request: two different are 401).
        "security": list(schemas.SECURITY),
    }
