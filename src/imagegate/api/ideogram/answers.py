"""Ideogram's answers: its ``{"error": message}`` refusals (``IdeogramError`` rendered, and how
imagegate's own ``ApiError`` becomes one), its ``created`` timestamp, and the pydantic models that
document the ``{created, data: [...]}`` answer and the error body in the OpenAPI document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, Field

from imagegate.api.envelope import JSONBody
from imagegate.errors import ApiError, IdeogramError, PayloadTooLarge


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
    body: dict[str, Any] = {"error": error.message}
    if error.task_id is not None:
        body["task_id"] = error.task_id
        headers["X-Imagegate-Task-Id"] = error.task_id
    return JSONBody(body, error.status, headers)


def created_text(ms: int) -> str:
    """Ideogram's ``created``: ``2000-01-23 04:56:07+00:00``."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(sep=" ", timespec="seconds")


class ImageObject(BaseModel):
    prompt: str = Field(description="Always empty: a reframe has no prompt")
    resolution: str = Field(description="WIDTHxHEIGHT of the image", examples=["1312x736"])
    is_image_safe: bool
    seed: int = Field(description="The seed that reproduces this image")
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
