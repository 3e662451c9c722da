"""The task side of an Ideogram request: a parsed ``Reframe`` becomes an ordinary
``ideogram/v3-reframe`` task through the jobs API's one create path (with ``reframe_spec``, the
catalog's spec at Ideogram's limits), the handler waits for it to end and renders Ideogram's
``{created, data: [...]}``; ``handle`` is the request flow both endpoints share.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from imagegate.accounts.model import Account
from imagegate.api.auth import SEND_API_KEY, authenticate
from imagegate.api.deps import services_of
from imagegate.api.envelope import JSONBody
from imagegate.api.files.naming import clean_file_name, default_file_name
from imagegate.api.ideogram.answers import error_response, from_api_error
from imagegate.api.ideogram.form import Form, ImagePart, read_form
from imagegate.api.jobs import create_task, idempotency_key_of, keyed, naming_ignored
from imagegate.api.services import Services
from imagegate.api.waiting import wait_for_end
from imagegate.catalog import ModelSpec, StringField, get_model
from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS
from imagegate.catalog.seeds import SEED_MAX, SEED_MIN, image_seed
from imagegate.clock import now_ms
from imagegate.errors import ApiError, BadRequest, IdeogramError
from imagegate.tasks import idempotency
from imagegate.tasks.files import StoredFile
from imagegate.tasks.model import Task
from imagegate.tasks.state import TaskState
from imagegate.wire import ideogram as wire
from imagegate.wire.states import IDEOGRAM_STILL_RUNNING, ideogram_fail_status
from imagegate.wire.surfaces import Surface

log = logging.getLogger(__name__)

MODEL = "ideogram/v3-reframe"
MAX_NUM_IMAGES = 8
MAX_STYLE_REFERENCE_IMAGES = 16


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
    # The form's fields that no endpoint field is: ignored, and named in a header.
    ignored: tuple[str, ...] = ()


async def store_image(services: Services, account: Account, image: ImagePart) -> tuple[str, str]:
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
    expires = created + int(services.settings.upload_retention_hours * 3_600_000)
    # The row first, as files.store_upload does: no blob without a row the janitor will find.
    await services.files.add(
        StoredFile(
            key=key, account_id=account.id, kind="upload", task_id=None, file_name=name,
            mime_type=image.mime, size=len(image.data), created_at=created, expires_at=expires,
        )
    )
    try:
        await services.blobs.put(key, image.data, image.mime)
    except BaseException:
        await services.files.remove(key)
        raise
    return key, services.signer.url(key, expires)


async def forget_image(services: Services, key: str) -> None:
    """The upload of a request that made no task: nothing will read it."""
    try:
        await services.blobs.delete(key)
    finally:
        await services.files.remove(key)


async def run_reframe(
    services: Services,
    account: Account,
    reframe: Reframe,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Response:
    """Create the task through the one create path, wait for its end, answer Ideogram's way.

    With ``idempotency_key`` (and ``request_hash``, the form's fingerprint), a repeat of the
    request gets the task the key made: waited for and answered again, its image not stored
    a second time."""
    task = None
    if idempotency_key is not None and request_hash is not None:
        task = await services.store.keyed_task(
            account.id, keyed(services, idempotency_key, request_hash)
        )
    if task is None:
        task = await create_reframe_task(services, account, reframe, idempotency_key, request_hash)
    # A repeat's seed may have been drawn at random again: report the task's.
    seed = reframe_spec().seed(task.input)
    if seed is not None:
        reframe = replace(reframe, seed=seed)
    return await finish_reframe(services, task, reframe)


async def create_reframe_task(
    services: Services,
    account: Account,
    reframe: Reframe,
    idempotency_key: str | None,
    request_hash: str | None,
) -> Task:
    """Store the image as an upload and create the task from it (the upload is deleted again
    when no task is made, or when the key's earlier request made it)."""
    key, image_url = await store_image(services, account, reframe.image)
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
        task = (await create_task(
            {"model": MODEL, "input": task_input}, account, services, spec=reframe_spec(),
            idempotency_key=idempotency_key, request_hash=request_hash,
            surface=Surface.IDEOGRAM,
        )).task
    except ApiError:
        await forget_unused(services, key)
        raise
    if task.input.get("image_url") != image_url:
        # The same key's request that came first made the task: this upload is not needed.
        await forget_unused(services, key)
    return task


async def forget_unused(services: Services, key: str) -> None:
    try:
        await forget_image(services, key)
    except Exception:  # the janitor removes it at its expiry anyway
        log.warning("could not delete the unused upload %s", key, exc_info=True)


async def finish_reframe(services: Services, task: Task, reframe: Reframe) -> Response:
    """Wait for the task's end and answer Ideogram's way (504 while it still runs)."""
    timeout = services.settings.ideogram_sync_timeout_seconds
    finished = await wait_for_end(services, task.id, timeout)
    if finished is None:
        raise IdeogramError(
            IDEOGRAM_STILL_RUNNING, wire.still_running_message(task.id, timeout), task_id=task.id
        )
    if finished.state is TaskState.FAIL:
        raise IdeogramError(
            ideogram_fail_status(finished.fail_code), wire.failed_message(finished),
            task_id=task.id,
        )
    return JSONBody(answer(finished, reframe, services), headers={"X-Imagegate-Task-Id": task.id})


def answer(task: Task, reframe: Reframe, services: Services) -> dict[str, Any]:
    """Ideogram's ``{created, data: [...]}`` for the finished task."""

    def seed_of(index: int) -> int:
        # The classic engine derives image i's seed from the task's: report the seed that gives
        # that image again as a one-image request. Other engines get the task's seed as is.
        return image_seed(reframe.seed, index) if task.engine == "classic" else reframe.seed

    return wire.reframe_answer(
        task, services.signer.url, resolution=reframe.resolution, style_type=reframe.style_type,
        seed_of=seed_of,
    )


async def handle(request: Request, parse: Callable[[Form], Awaitable[Reframe]]) -> Response:
    """Authenticate, read the form, parse it into a Reframe, run it; every refusal is
    Ideogram-shaped. Order: 401, 400, 422 (the Idempotency-Key header, then the fields), then
    create's own (a repeat of a keyed request, 505, 429, 402)."""
    services = services_of(request)
    try:
        account = await authenticate(request, services, send=SEND_API_KEY)
        form = await read_form(request, services, max_files=1 + MAX_STYLE_REFERENCE_IMAGES)
        try:
            idempotency_key = idempotency_key_of(request)
            request_hash = None
            if idempotency_key is not None:
                request_hash = await form_hash(request.url.path, form)
            reframe = await parse(form)
        finally:
            await form.form.close()
        answer = await run_reframe(
            services, account, reframe, idempotency_key=idempotency_key, request_hash=request_hash
        )
        return naming_ignored(answer, reframe.ignored)
    except IdeogramError as error:
        return error_response(error)
    except ApiError as error:
        return error_response(from_api_error(error))


async def form_hash(path: str, form: Form) -> str:
    """The Idempotency-Key's fingerprint of an Ideogram request: its endpoint and its form as
    sent (text fields as they are, files as the SHA-256 of their bytes). Not the mapped task's
    body, which differs on every repeat: the image is stored under a fresh URL, and a seed left
    out is drawn at random."""
    fields: list[list[str]] = []
    for name, value in form.form.multi_items():
        if isinstance(value, UploadFile):
            await value.seek(0)
            digest = hashlib.sha256(await value.read()).hexdigest()
            await value.seek(0)
            fields.append([name, "file", digest])
        else:
            fields.append([name, "text", value])
    fields.sort(key=lambda field: field[0])  # stable: repeated fields keep their order
    return idempotency.request_hash({"endpoint": path, "form": fields})


def random_seed() -> int:
    """Ideogram picks a seed when none is sent; the answer reports it."""
    return SEED_MIN + secrets.randbelow(SEED_MAX - SEED_MIN + 1)
