"""Ideogram's own reframe API: ``POST /reframe`` (legacy, spec 003) and
``POST /v1/ideogram-v3/reframe`` (provider notes), as thin adapters over the one task lifecycle.

Each request is translated into an ordinary ``ideogram/v3-reframe`` task through the jobs API's
one create path (so it is rate limited, charged, queued, retried and recorded like any other),
then answered synchronously: the handler waits for the task to end and renders Ideogram's
``{created, data: [...]}``. Errors are Ideogram's ``{"error": "..."}`` with imagegate's messages.

The jobs API's ``ideogram/v3-reframe`` takes only the six named size presets and 1-4 images (as
Kie documents it); Ideogram takes its 69 "WxH" resolutions and 1-8 images. The adapter checks
Ideogram's fields itself and creates the task with a variant of the catalog's spec that differs
in exactly those two fields (``reframe_spec``): same name, same price, same engines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from imagegate.api.auth import authenticate
from imagegate.api.body import read_limited, with_body
from imagegate.api.deps import runtime_of
from imagegate.api.envelope import JSONBody
from imagegate.api.files import clean_file_name, default_file_name, sniff_image
from imagegate.api.jobs import create_task
from imagegate.catalog import ModelSpec, StringField, get_model
from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS
from imagegate.engines.classic.engine import image_seed
from imagegate.errors import ApiError, BadRequest, PayloadTooLarge
from imagegate.runtime import Runtime
from imagegate.storage.registry import StoredFile
from imagegate.tasks.model import Account, Task
from imagegate.tasks.record import result_urls
from imagegate.tasks.state import TaskState
from imagegate.tasks.time import now_ms

log = logging.getLogger(__name__)

router = APIRouter(tags=["ideogram"])

MODEL = "ideogram/v3-reframe"
MAX_NUM_IMAGES = 8
MAX_SEED = 2_147_483_647
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
# Legacy ``model`` values (Ideogram's ModelEnum); *_TURBO asks for speed.
LEGACY_MODELS = ("V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO", "V_3")
LEGACY_STYLE_TYPES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME")
# Ideogram v3's four speeds onto the classic engine's three.
V3_SPEEDS = {"FLASH": "TURBO", "TURBO": "TURBO", "DEFAULT": "BALANCED", "QUALITY": "QUALITY"}
LEGACY_RESOLUTIONS = {
    "RESOLUTION_" + value.replace("x", "_"): value for value in IDEOGRAM_V3_RESOLUTIONS
}
MAX_STYLE_REFERENCE_IMAGES = 16
_FORM_OVERHEAD_BYTES = 64 * 1024
_STYLE_PRESET = re.compile(r"^[A-Z0-9_]{1,64}$")
_STYLE_CODE = re.compile(r"^[0-9A-Fa-f]{8}$")
_COLOR_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@cache
def reframe_spec() -> ModelSpec:
    """The catalog's ``ideogram/v3-reframe`` with Ideogram's own limits: ``image_size`` one of
    the 69 v3 resolutions, ``num_images`` 1-8. Everything else (name, price, other fields) is
    the catalog's, so the task is the same model wherever it came from."""
    base = get_model(MODEL)
    if base is None:  # pragma: no cover - the catalog always has it
        raise RuntimeError(f"the catalog has no {MODEL}")
    variants: dict[str, StringField] = {
        "image_size": StringField(
            "image_size", enum=IDEOGRAM_V3_RESOLUTIONS, required=True,
            description="An Ideogram v3 resolution, WIDTHxHEIGHT",
        ),
        "num_images": StringField(
            "num_images", enum=tuple(str(n) for n in range(1, MAX_NUM_IMAGES + 1)),
            accept_integers=True, default="1", description="Number of images to generate.",
        ),
    }
    fields = tuple(variants.get(field.name, field) for field in base.fields)
    return replace(base, fields=fields)


# ------------------------------------------------------------------ errors and answers


class IdeogramError(Exception):
    """A refusal in Ideogram's shape: HTTP ``status`` and ``{"error": message}``."""

    def __init__(
        self, status: int, message: str, *, retry_after: int | None = None,
        task_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.task_id = task_id


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


_RESPONSES: dict[int | str, dict[str, Any]] = {
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
_API_KEY = APIKeyHeader(name="Api-Key", scheme_name="IdeogramApiKey", auto_error=False)


# ------------------------------------------------------------------ the form


@dataclass(frozen=True, slots=True)
class ImagePart:
    data: bytes
    mime: str
    file_name: str | None


class Form:
    """The multipart fields of one request, read with Ideogram's messages."""

    def __init__(self, form: FormData, max_image_bytes: int) -> None:
        self.form = form
        self.max_image_bytes = max_image_bytes

    def check_known(self, known: tuple[str, ...]) -> None:
        for name in self.form:
            if name not in known:
                raise invalid(
                    f"{name} is not a field of this endpoint (fields: {', '.join(known)})"
                )

    def text(self, name: str) -> str | None:
        values = self.form.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            raise invalid(f"{name} was given more than once")
        [value] = values
        if not isinstance(value, str):
            raise invalid(f"{name} must be a text field, not a file")
        return value.strip() or None

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name)
        if value is None:
            if default is None:
                raise invalid(f"{name} is required (one of {', '.join(choices)})")
            return default
        if value not in choices:
            if len(choices) > 12:  # the resolutions: name the list, show its form
                raise invalid(
                    f"{name} must be one of Ideogram v3's {len(choices)} resolutions, such as"
                    f" {choices[len(choices) // 2]} (got {value[:60]!r})"
                )
            raise invalid(f"{name} must be one of {', '.join(choices)} (got {value[:60]!r})")
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not re.fullmatch(r"[+-]?\d{1,20}", value):
            raise invalid(f"{name} must be an integer from {low} to {high} (got {value[:60]!r})")
        number = int(value)
        if not low <= number <= high:
            raise invalid(f"{name} must be an integer from {low} to {high} (got {number})")
        return number

    async def images(self, name: str) -> list[ImagePart]:
        parts: list[ImagePart] = []
        for value in self.form.getlist(name):
            if not isinstance(value, UploadFile):
                raise invalid(f"{name} must be a file part (a filename and its content)")
            data = await value.read()
            if not data:
                raise invalid(f"{name}: the file is empty")
            if len(data) > self.max_image_bytes:
                raise invalid(
                    f"{name} is {len(data)} bytes; the limit is {self.max_image_bytes} bytes"
                )
            mime = sniff_image(data)
            if mime not in IMAGE_TYPES:
                raise invalid(f"{name} must be a JPEG, PNG or WebP image")
            parts.append(ImagePart(data, mime, value.filename))
        return parts

    async def image(self, name: str) -> ImagePart:
        parts = await self.images(name)
        if not parts:
            raise invalid(f"{name} is required (a JPEG, PNG or WebP file of at most 10 MB)")
        if len(parts) > 1:
            raise invalid(f"{name} was given more than once")
        return parts[0]


async def read_form(request: Request, runtime: Runtime, max_files: int) -> Form:
    """The multipart body, its size capped before parsing (two images' worth and the fields)."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise IdeogramError(400, "Expected a multipart/form-data body")
    max_image = runtime.settings.max_image_bytes
    limit = 2 * max_image + _FORM_OVERHEAD_BYTES
    try:
        raw = await read_limited(request, limit)
    except PayloadTooLarge as exc:
        raise invalid(
            f"Request body is over {limit} bytes: the image may be at most {max_image} bytes"
            f" (and style reference images {max_image} bytes together)"
        ) from exc
    try:
        form = await with_body(request, raw).form(max_files=max_files, max_fields=64)
    except (MultiPartException, StarletteHTTPException) as exc:
        detail = exc.message if isinstance(exc, MultiPartException) else exc.detail
        raise IdeogramError(400, f"Malformed multipart body: {detail}") from exc
    return Form(form, max_image)


# ------------------------------------------------------------------ the task


@dataclass(frozen=True, slots=True)
class Reframe:
    """What either surface asks for, in the task's terms."""

    image: ImagePart
    resolution: str  # WxH
    rendering_speed: str  # TURBO | BALANCED | QUALITY
    num_images: int
    seed: int
    style: str | None  # the task's ``style`` (AUTO, GENERAL, REALISTIC, DESIGN) if any
    style_type: str | None  # what the answer reports


async def store_image(runtime: Runtime, account: Account, image: ImagePart) -> tuple[str, str]:
    """Store the uploaded image as an upload of the account (kept for the upload retention);
    (its blob key, imagegate's signed URL for it, which the worker reads locally)."""
    name = None
    if image.file_name:
        # A client's path ("C:\\photos\\cat.jpg") is not a reason to refuse: keep its last part.
        last = image.file_name.replace("\\", "/").rsplit("/", 1)[-1]
        with contextlib.suppress(BadRequest):
            name = clean_file_name(last)
    name = name or default_file_name(image.mime, None)
    key = f"uploads/{account.id}/ideogram/{secrets.token_hex(6)}-{name}"
    created = now_ms()
    expires = created + int(runtime.settings.upload_retention_hours * 3_600_000)
    # The row first, as files.store_upload does: no blob without a row the janitor will find.
    await runtime.files.add(
        StoredFile(
            key=key, account_id=account.id, kind="upload", task_id=None, file_name=name,
            mime_type=image.mime, size=len(image.data), created_at=created, expires_at=expires,
        )
    )
    try:
        await runtime.blobs.put(key, image.data, image.mime)
    except BaseException:
        await runtime.files.remove(key)
        raise
    return key, runtime.signer.url(key, expires)


async def forget_image(runtime: Runtime, key: str) -> None:
    """The upload of a request that made no task: nothing will read it."""
    try:
        await runtime.blobs.delete(key)
    finally:
        await runtime.files.remove(key)


async def run_reframe(runtime: Runtime, account: Account, reframe: Reframe) -> Response:
    """Create the task through the one create path, wait for its end, answer Ideogram's way."""
    key, image_url = await store_image(runtime, account, reframe.image)
    task_input: dict[str, Any] = {
        "image_url": image_url,
        "image_size": reframe.resolution,
        "rendering_speed": reframe.rendering_speed,
        "num_images": reframe.num_images,
        "seed": reframe.seed,
    }
    if reframe.style is not None:
        task_input["style"] = reframe.style
    try:
        task = await create_task(
            {"model": MODEL, "input": task_input}, account, runtime, spec=reframe_spec()
        )
    except ApiError:
        try:
            await forget_image(runtime, key)
        except Exception:  # the janitor removes it at its expiry anyway
            log.warning("could not delete the unused upload %s", key, exc_info=True)
        raise
    finished = await wait_for_end(runtime, task.id, runtime.settings.ideogram_sync_timeout_seconds)
    if finished is None:
        timeout = runtime.settings.ideogram_sync_timeout_seconds
        raise IdeogramError(
            504,
            f"Task {task.id} is still running after {timeout:g} s. It is kept and will finish:"
            f" follow it with GET /api/v1/jobs/recordInfo?taskId={task.id}",
            task_id=task.id,
        )
    if finished.state is TaskState.FAIL:
        status = 422 if finished.fail_code == "422" else 500
        raise IdeogramError(
            status,
            f"Task {task.id} failed: {finished.fail_msg or 'generation failed'}"
            + (" (its credits were refunded)" if finished.price_milli else ""),
            task_id=task.id,
        )
    return JSONBody(answer(finished, reframe, runtime), headers={"X-Imagegate-Task-Id": task.id})


async def wait_for_end(runtime: Runtime, task_id: str, timeout: float) -> Task | None:
    """The task once terminal; None if it is still running after ``timeout`` seconds.

    Polls the store (an indexed read in this thread, microseconds), every 20 ms at first and
    at most every 250 ms.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.02
    while True:
        task = await runtime.store.get_task(task_id)
        if task is None:  # pragma: no cover - tasks are never deleted
            raise IdeogramError(500, f"Task {task_id} disappeared", task_id=task_id)
        if task.state.is_terminal:
            return task
        remaining = deadline - loop.time()
        if remaining <= 0:
            return None
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.25)


def answer(task: Task, reframe: Reframe, runtime: Runtime) -> dict[str, Any]:
    urls = result_urls(task, runtime.signer.url)
    # The classic engine derives image i's seed from the task's: report the seed that gives
    # that image again as a one-image request. Other engines get the task's seed as is.
    seeds = [
        image_seed(reframe.seed, index) if task.engine == "classic" else reframe.seed
        for index in range(len(urls))
    ]
    return {
        "created": created_text(task.create_time),
        "data": [
            {
                "prompt": "",
                "resolution": reframe.resolution,
                "is_image_safe": True,
                "seed": seed,
                "url": url,
                "upscaled_resolution": None,
                "style_type": reframe.style_type,
            }
            for url, seed in zip(urls, seeds, strict=True)
        ],
    }


async def handle(request: Request, parse: Callable[[Form], Awaitable[Reframe]]) -> Response:
    """Authenticate, read the form, parse it into a Reframe, run it; every refusal is
    Ideogram-shaped. Order: 401, 400, 422, then create's own (505, 429, 402)."""
    runtime = runtime_of(request)
    try:
        account = await authenticate(request, runtime)
        form = await read_form(request, runtime, max_files=1 + MAX_STYLE_REFERENCE_IMAGES)
        try:
            reframe = await parse(form)
        finally:
            await form.form.close()
        return await run_reframe(runtime, account, reframe)
    except IdeogramError as error:
        return error_response(error)
    except ApiError as error:
        return error_response(from_api_error(error))


def random_seed() -> int:
    """Ideogram picks a seed when none is sent; the answer reports it."""
    return secrets.randbelow(MAX_SEED + 1)


# ------------------------------------------------------------------ POST /reframe (legacy)


_LEGACY_FIELDS = ("image_file", "resolution", "model", "num_images", "seed", "style_type")


async def parse_legacy(form: Form) -> Reframe:
    form.check_known(_LEGACY_FIELDS)
    resolution = form.choice("resolution", tuple(LEGACY_RESOLUTIONS))
    model = form.choice("model", LEGACY_MODELS, default="V_2")
    num_images = form.integer("num_images", 1, MAX_NUM_IMAGES) or 1
    seed = form.integer("seed", 0, MAX_SEED)
    style_type = form.text("style_type")
    if style_type is not None:
        style_type = form.choice("style_type", LEGACY_STYLE_TYPES)
        if model.startswith("V_1"):
            raise invalid(f"style_type cannot be used with model {model} (V_2 and above only)")
    image = await form.image("image_file")
    catalog_styles = ("AUTO", "GENERAL", "REALISTIC", "DESIGN")
    return Reframe(
        image=image,
        resolution=LEGACY_RESOLUTIONS[resolution],
        rendering_speed="TURBO" if model.endswith("_TURBO") else "BALANCED",
        num_images=num_images,
        seed=random_seed() if seed is None else seed,
        style=style_type if style_type in catalog_styles else None,
        style_type=style_type or "AUTO",
    )


def _form_body(
    fields: dict[str, dict[str, Any]], required: list[str], description: str
) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": fields}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


_FILE = {"type": "string", "format": "binary"}

_LEGACY_BODY = _form_body(
    {
        "image_file": {**_FILE, "description": "The image to reframe (JPEG, PNG or WebP, ≤ 10 MB)"},
        "resolution": {
            "type": "string", "enum": list(LEGACY_RESOLUTIONS), "example": "RESOLUTION_1024_1024",
            "description": "RESOLUTION_W_H for each of Ideogram v3's 69 resolutions",
        },
        "model": {
            "type": "string", "enum": list(LEGACY_MODELS), "default": "V_2",
            "description": "*_TURBO runs the TURBO speed, the others BALANCED",
        },
        "num_images": {"type": "integer", "minimum": 1, "maximum": MAX_NUM_IMAGES, "default": 1},
        "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED,
                 "description": "Random when absent; the answer reports it"},
        "style_type": {"type": "string", "enum": list(LEGACY_STYLE_TYPES),
                       "description": "Accepted; no effect on the classic engine"},
    },
    ["image_file", "resolution"],
    "Spec 003: a request to reframe an image to a new resolution.",
)


@router.post(
    "/reframe",
    summary="Reframe (Ideogram legacy)",
    responses=_RESPONSES,
    openapi_extra=_LEGACY_BODY,
    dependencies=[Depends(_API_KEY)],
)
async def reframe_legacy(request: Request) -> Response:
    """Ideogram's legacy reframe (spec 003): the image extended to ``resolution``, answered
    when the task has ended. Runs as an ordinary ``ideogram/v3-reframe`` task."""
    return await handle(request, parse_legacy)


# ------------------------------------------------------------------ POST /v1/ideogram-v3/reframe


_V3_FIELDS = (
    "image", "resolution", "num_images", "seed", "rendering_speed", "style_preset",
    "color_palette", "style_codes", "style_reference_images",
)


def check_color_palette(text: str) -> None:
    """``{"name": PRESET}`` or ``{"members": [{"color_hex": "#RRGGBB", "color_weight"?}]}``."""
    try:
        palette = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"color_palette must be a JSON object: {exc}") from exc
    if not isinstance(palette, dict) or not palette:
        raise invalid("color_palette must be a JSON object with 'name' or 'members'")
    if "name" in palette:
        if set(palette) != {"name"} or not isinstance(palette["name"], str):
            raise invalid("color_palette: a preset palette is {\"name\": \"PRESET\"} alone")
        if not _STYLE_PRESET.match(palette["name"]):
            raise invalid("color_palette.name must be an upper-case preset name such as PASTEL")
        return
    members = palette.get("members")
    if set(palette) != {"members"} or not isinstance(members, list) or not members:
        raise invalid("color_palette must have 'name' or a non-empty 'members' list")
    for index, member in enumerate(members):
        where = f"color_palette.members[{index}]"
        if not isinstance(member, dict) or set(member) - {"color_hex", "color_weight"}:
            raise invalid(f"{where} must be an object with color_hex and color_weight")
        hex_value = member.get("color_hex")
        if not isinstance(hex_value, str) or not _COLOR_HEX.match(hex_value):
            raise invalid(f"{where}.color_hex must be #RRGGBB")
        weight = member.get("color_weight")
        if weight is not None and (
            isinstance(weight, bool) or not isinstance(weight, int | float)
            or not 0.05 <= weight <= 1
        ):
            raise invalid(f"{where}.color_weight must be a number from 0.05 to 1")


async def parse_v3(form: Form) -> Reframe:
    form.check_known(_V3_FIELDS)
    resolution = form.choice("resolution", IDEOGRAM_V3_RESOLUTIONS)
    speed = form.choice("rendering_speed", tuple(V3_SPEEDS), default="DEFAULT")
    num_images = form.integer("num_images", 1, MAX_NUM_IMAGES) or 1
    seed = form.integer("seed", 0, MAX_SEED)
    # The style fields are checked for their shape and have no effect on the classic engine.
    preset = form.text("style_preset")
    if preset is not None and not _STYLE_PRESET.match(preset):
        raise invalid("style_preset must be an upper-case preset name such as WATERCOLOR")
    palette = form.text("color_palette")
    if palette is not None:
        check_color_palette(palette)
    for code in form.form.getlist("style_codes"):
        if not isinstance(code, str) or not _STYLE_CODE.match(code.strip()):
            raise invalid("style_codes must each be 8 hexadecimal characters")
    references = await form.images("style_reference_images")
    total = sum(len(part.data) for part in references)
    if total > form.max_image_bytes:
        raise invalid(
            f"style_reference_images are {total} bytes together; the limit is"
            f" {form.max_image_bytes} bytes"
        )
    image = await form.image("image")
    return Reframe(
        image=image,
        resolution=resolution,
        rendering_speed=V3_SPEEDS[speed],
        num_images=num_images,
        seed=random_seed() if seed is None else seed,
        style=None,
        style_type="AUTO",
    )


_V3_BODY = _form_body(
    {
        "image": {**_FILE, "description": "The image to reframe (JPEG, PNG or WebP, ≤ 10 MB)"},
        "resolution": {"type": "string", "enum": list(IDEOGRAM_V3_RESOLUTIONS),
                       "example": "1312x736"},
        "rendering_speed": {
            "type": "string", "enum": list(V3_SPEEDS), "default": "DEFAULT",
            "description": "FLASH and TURBO run the classic engine's TURBO, DEFAULT its"
                           " BALANCED, QUALITY its QUALITY",
        },
        "num_images": {"type": "integer", "minimum": 1, "maximum": MAX_NUM_IMAGES, "default": 1},
        "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED,
                 "description": "Random when absent; the answer reports it"},
        "style_preset": {"type": "string", "description": "Accepted; no effect (classic engine)"},
        "color_palette": {
            "type": "string",
            "description": 'JSON: {"name": "PASTEL"} or {"members": [{"color_hex": "#RRGGBB",'
                           ' "color_weight": 0.5}]}. Accepted; no effect (classic engine)',
        },
        "style_codes": {
            "type": "array", "items": {"type": "string", "pattern": "^[0-9A-Fa-f]{8}$"},
            "description": "Accepted; no effect (classic engine)",
        },
        "style_reference_images": {
            "type": "array", "items": _FILE,
            "description": "JPEG, PNG or WebP, ≤ 10 MB together. Accepted; no effect"
                           " (classic engine)",
        },
    },
    ["image", "resolution"],
    "Ideogram 3.0 reframe: the image extended to one of the 69 v3 resolutions.",
)


@router.post(
    "/v1/ideogram-v3/reframe",
    summary="Reframe with Ideogram 3.0",
    responses=_RESPONSES,
    openapi_extra=_V3_BODY,
    dependencies=[Depends(_API_KEY)],
)
async def reframe_v3(request: Request) -> Response:
    """Ideogram 3.0's reframe: the image extended to ``resolution``, answered when the task
    has ended. Runs as an ordinary ``ideogram/v3-reframe`` task."""
    return await handle(request, parse_v3)
