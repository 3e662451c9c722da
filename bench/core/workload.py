"""What the bench sends: the model, the createTask body and the small input image."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent
MODEL = "ideogram/v3-reframe"
CREATE_PATH = "/api/v1/jobs/createTask"


def png_bytes(width: int, height: int) -> bytes:
    """A small gradient PNG: the input image of every task the bench creates."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def create_body(image_url: str, callback_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "input": {"image_url": image_url, "image_size": "square"},
    }
    if callback_url:
        body["callBackUrl"] = callback_url
    return body
