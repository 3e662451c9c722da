"""Ideogram's answers over HTTP: its ``{"error": message}`` refusals (``IdeogramError``, of
imagegate.errors, rendered, and how imagegate's own ``ApiError`` becomes one), and the pydantic
models that document the ``{created, data: [...]}`` answer and the error body in the OpenAPI
document (the bodies themselves are ``imagegate.wire.ideogram``'s).
"""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel, Field

from imagegate.api.envelope import JSONBody
from imagegate.catalog.seeds import SEED_MAX, SEED_MIN
from imagegate.errors import ApiError, IdeogramError, PayloadTooLarge
from imagegate.wire.ideogram import error_body


def invalid(message: str) -> IdeogramError:
    """422: a field of the request is missing or out of its limits."""
    return IdeogramError(422, message)


def from_api_error(error: ApiError) -> IdeogramError:
    """imagegate's refusals (auth, rate limit, credits, ...) with their message and status."""
    status = error.http_status
    if isinstance(error, PayloadTooLarge):
        status = 422  # Ideogram lists no 413: a file over its limit is an invalid field
    return IdeogramError(status, error.msg, retry_after=getattr(error, "retry_after", None))


def error_response(error: IdeogramError) -> Response:
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.task_id is not None:
        headers["X-Imagegate-Task-Id"] = error.task_id
    return JSONBody(error_body(error.message, error.task_id), error.status, headers)


class ImageObject(BaseModel):
    prompt: str = Field(description="Always empty: a reframe has no prompt")
    resolution: str = Field(description="WIDTHxHEIGHT of the image", examples=["1312x736"])
    is_image_safe: bool
    seed: int = Field(
        ge=SEED_MIN, le=SEED_MAX, description="The seed that reproduces this image"
    )
    url: str = Field(description="imagegate's signed, expiring link to the image")
    upscaled_resolution: str | None = Field(description="Always null: nothing is upscaled")
    style_type: str | None


class ReframeAnswer(BaseModel):
    created: str = Field(examples=["2000-01-23 04:56:07+00:00"])
    data: list[ImageObject]


class ErrorAnswer(BaseModel):
    error: str
    task_id: str | None = Field(
        default=None, description="imagegate's task, when one was created (timeout, failure)"
    )
