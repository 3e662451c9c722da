"""Kie's jobs API: ``POST /api/v1/jobs/createTask``, ``GET /api/v1/jobs/recordInfo`` and the
v2 ``createTask`` of spec 002. One create path serves both versions; only the answer differs."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from imagegate.accounts.model import Account
from imagegate.api import schemas, sync_mode
from imagegate.api.auth import authenticate
from imagegate.api.body import read_json_object
from imagegate.api.deps import services_of
from imagegate.api.envelope import success
from imagegate.api.input_urls import check_request_urls
from imagegate.api.pass_through import passed_through
from imagegate.api.services import Services
from imagegate.api.task_headers import NO_OPTIONS, TaskOptions, task_options_of
from imagegate.catalog import ModelSpec, get_model
from imagegate.clock import now_ms
from imagegate.errors import FeatureDisabled, NotFound, ValidationFailed
from imagegate.logs import context as log_context
from imagegate.tasks import idempotency
from imagegate.tasks.fairness import MAX_PRIORITY, MIN_PRIORITY
from imagegate.tasks.ids import new_task_id
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import TaskState
from imagegate.wire import jobs as wire
from imagegate.wire.surfaces import Surface

router = APIRouter(tags=["jobs"])

_CREATE_EXAMPLE = {
    "model": "ideogram/v3-reframe",
    "callBackUrl": "https://your-domain.com/api/callback",
    "input": {
        "image_url": "https://example.com/photo.webp",
        "image_size": "square_hd",
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "num_images": "1",
        "seed": 42,
    },
}
_TASK_ID = "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60"
_CREATE_V1 = schemas.operation(
    schemas.responses(
        {"type": "object", "required": ["taskId"],
         "properties": {"taskId": {"type": "string"}, "recordId": {"type": "string"}}},
        errors=schemas.JOBS_ERRORS, example={"taskId": _TASK_ID, "recordId": _TASK_ID},
        creates=True,
    ),
    body=schemas.json_body(schemas.create_task_schema(), _CREATE_EXAMPLE),
    parameters=[schemas.IDEMPOTENCY_KEY_PARAMETER, *schemas.CREATE_PARAMETERS],
)
_CREATE_V2 = schemas.operation(
    schemas.responses(
        {"type": "object", "required": ["task_id"],
         "properties": {"task_id": {"type": "string"}, "taskId": {"type": "string"},
                        "recordId": {"type": "string"}}},
        surface="v2", errors=schemas.JOBS_ERRORS,
        example={"task_id": _TASK_ID, "taskId": _TASK_ID, "recordId": _TASK_ID},
        creates=True,
    ),
    body=schemas.json_body(schemas.create_task_schema(), _CREATE_EXAMPLE),
    parameters=[schemas.IDEMPOTENCY_KEY_PARAMETER, *schemas.CREATE_PARAMETERS],
)
_RECORD_INFO = schemas.operation(
    schemas.responses(schemas.ref("TaskRecord"), errors=schemas.QUERY_ERRORS),
    parameters=[schemas.TASK_ID_PARAMETER],
)


IGNORED_FIELDS_HEADER = "X-Imagegate-Ignored-Fields"
# The createTask body's own keys; any other is ignored (as Kie ignores it) and named.
_BODY_KEYS = frozenset(
    {"model", "input", "callBackUrl", "callbackUrl", "priority", "webhookEvents"}
)
WEBHOOK_EVENTS = ("start", "progress", "completed")


@dataclass(frozen=True, slots=True)
class Created:
    """A create request's task, and the fields of the request that were ignored: keys that
    are no field of the model (``input.<key>``) or of the body, which Kie ignores too."""

    task: Task
    ignored: tuple[str, ...] = ()
    # The request's Cancel-After and X-Result-Retention, as read (api/task_headers.py).
    options: TaskOptions = NO_OPTIONS


_MAX_NAMED = 20  # a body of ten thousand junk keys must not make a ten-thousand-name header


def naming_ignored(response: Response, ignored: Iterable[str]) -> Response:
    """``response`` with the ignored fields named in ``X-Imagegate-Ignored-Fields`` (comma
    separated), so an integrator can still find a typo; no header when none was ignored.

    A header is ASCII: a name with other characters is percent-encoded (``input.gr%C3%B6%C3%9Fe``),
    each name is cut at 100 characters, and past 20 names the rest are counted."""
    names = [quote(name[:100], safe="._-[]$@!*+:;=~") for name in ignored]
    if not names:
        return response
    shown = names[:_MAX_NAMED]
    if len(names) > _MAX_NAMED:
        shown.append(f"... ({len(names) - _MAX_NAMED} more)")
    response.headers[IGNORED_FIELDS_HEADER] = ", ".join(shown)
    return response


def callback_url_of(body: dict[str, Any]) -> str | None:
    """``callBackUrl`` (Kie's spelling) or ``callbackUrl`` (spec 002's v2 example); Kie's
    wins when both are sent, and each one sent must be a valid URL, so a bad value is never
    passed over in silence."""
    found: str | None = None
    for field in ("callbackUrl", "callBackUrl"):
        value = body.get(field)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > 2048:
            raise ValidationFailed(field, "must be an http or https URL of at most 2048 characters")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationFailed(field, f"must be an http or https URL (got {value!r})")
        found = value
    return found


def priority_of(body: dict[str, Any]) -> int:
    """imagegate's addition to createTask: ``priority``, an integer from -10 to 10 (default
    0) that orders the account's own waiting tasks, higher first (tasks/fairness.py)."""
    value = body.get("priority")
    if value is None:
        return 0
    # 3.0 is the integer 3, as JSON Schema (and the OpenAPI document) counts integers.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not (
        MIN_PRIORITY <= value <= MAX_PRIORITY
    ):
        raise ValidationFailed(
            "priority", f"must be an integer from {MIN_PRIORITY} to {MAX_PRIORITY} (got {value!r})"
        )
    return value


def webhook_events_of(body: dict[str, Any]) -> str | None:
    """imagegate's addition to createTask: ``webhookEvents``, which callbacks the task's URL
    gets, a list of distinct "start", "progress", "completed" (default ["completed"], Kie's
    one callback); kept comma separated in that order, None for the default."""
    value = body.get("webhookEvents")
    if value is None:
        return None
    if (
        not isinstance(value, list) or not value
        or any(not isinstance(item, str) or item not in WEBHOOK_EVENTS for item in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationFailed(
            "webhookEvents",
            f"must be a list of distinct events among {', '.join(WEBHOOK_EVENTS)}",
        )
    chosen = [event for event in WEBHOOK_EVENTS if event in value]
    return None if chosen == ["completed"] else ",".join(chosen)


def idempotency_key_of(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` header (None without one); 422 naming the header when
    it is not 1-255 printable ASCII characters or is sent more than once."""
    values = request.headers.getlist(idempotency.HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationFailed(idempotency.HEADER, "must be sent once")
    return idempotency.check_key(values[0])


def keyed(services: Services, idempotency_key: str, request_hash: str) -> IdempotencyKey:
    """The key as the store takes it: with the request's hash and the configured window."""
    return IdempotencyKey(
        idempotency_key, request_hash, int(services.settings.idempotency_hours * 3_600_000)
    )


@dataclass(frozen=True, slots=True)
class Checked:
    """A create request as validated, before anything is charged: the model, its validated
    input (defaults applied), the price, the callback URL, the priority, the ignored fields and
    the model's spec (None for a pass-through model)."""

    model: str
    input: dict[str, Any]
    price_milli: int
    callback_url: str | None
    priority: int
    ignored: tuple[str, ...]
    spec: ModelSpec | None
    webhook_events: str | None = None


def checked_request(
    body: dict[str, Any], services: Services, spec: ModelSpec | None = None
) -> Checked:
    """The body checked as createTask checks it (model, input, callback URL, priority): 422
    naming the first bad field. Shared by ``create_task`` and the quote (api/quote.py), so a
    quote validates exactly as a create does."""
    model = body.get("model")
    if model is None:
        raise ValidationFailed("model", "is required")
    if not isinstance(model, str):
        raise ValidationFailed("model", "must be a string")
    if spec is not None and spec.name != model:
        raise ValueError(f"variant spec {spec.name!r} is not of model {model!r}")
    spec = spec or get_model(model)
    if spec is None:
        # Not catalogued: a pass-through route's, forwarded as sent, or the usual 422.
        validated, price_milli = passed_through(model, body, services.routing)
        ignored: tuple[str, ...] = tuple(key for key in body if key not in _BODY_KEYS)
    else:
        if "input" not in body:
            raise ValidationFailed("input", "is required")
        validated = spec.validate(body["input"])
        price_milli = spec.price_milli(validated)
        ignored = (
            *(key for key in body if key not in _BODY_KEYS), *spec.ignored_fields(body["input"])
        )
    return Checked(
        model, validated, price_milli, callback_url_of(body), priority_of(body), ignored, spec,
        webhook_events_of(body),
    )


async def check_servable(services: Services, checked: Checked, body: dict[str, Any]) -> None:
    """What createTask checks after the body, before the charge: the request's URLs (422), the
    operator's switches (455 maintenance, 505 a model turned off) and that some engine serves
    the model (505)."""
    await check_request_urls(services, checked.spec, checked.input, body, checked.callback_url)
    await services.switches.check(checked.model)
    if not services.routing.can_serve(checked.model):
        raise FeatureDisabled(
            f"Model {checked.model} is disabled: no engine is configured to serve it"
            " (IMAGEGATE_MOCK=1 serves every model with labelled test images)"
        )


async def create_task(
    body: dict[str, Any],
    account: Account,
    services: Services,
    *,
    spec: ModelSpec | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    surface: Surface = Surface.JOBS,
    options: TaskOptions = NO_OPTIONS,
) -> Created:
    """The one create path (DESIGN.md "A task's path", step 1): the task, and the request's
    fields that were ignored (no field of the model or of the body).

    ``surface``: the API the task is created through, kept with it; its callback is sent in
    that API's shape (wire/callbacks.py).

    ``spec``: an adapter's variant of the model's spec (the same name and price, its own input
    limits), e.g. Ideogram's reframe with its 69 "WxH" resolutions and up to 8 images; the
    jobs API passes none and validates against the catalog's spec.

    ``idempotency_key``: the request's ``Idempotency-Key`` (already checked by
    ``idempotency_key_of``). Within ``idempotency_hours`` of its first use, the same request
    (the same hash of model, validated input and callback URL) gets the task the key made, as
    if just created: no new task, no debit, and no use of the create rate limit; the key with
    another request is refused (422). ``request_hash``: an adapter's own fingerprint of the
    request, for one whose mapped body is not the same on a repeat (Ideogram's uploaded image
    gets a fresh URL each time, and its seed may be drawn at random).

    ``options``: the request's ``Cancel-After`` deadline and ``X-Result-Retention``
    (``task_headers.task_options_of``), kept with the task.
    """
    checked = checked_request(body, services, spec)
    model, validated, callback_url, ignored = (
        checked.model, checked.input, checked.callback_url, checked.ignored
    )
    key: IdempotencyKey | None = None
    if idempotency_key is not None:
        key = keyed(
            services, idempotency_key, request_hash or idempotency.request_hash(
                {"model": model, "input": validated, "callBackUrl": callback_url}
            ),
        )
        # Before the rate limit: a client retrying a create it already made is not refused.
        made = await services.store.keyed_task(account.id, key)
        if made is not None:
            return Created(made, ignored, options)
    # After the key's lookup: a retried create gets its task even if a link has since expired.
    await check_servable(services, checked, body)
    await services.rate_limits.hit("create", account.id, account.create_rate)
    new_id = new_task_id()
    created = await services.lifecycle.create(
        NewTask(
            id=new_id,
            account_id=account.id,
            model=model,
            param=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            input=validated,
            callback_url=callback_url,
            price_milli=checked.price_milli,
            priority=checked.priority,
            key_id=account.key.spend_key if account.key else None,
            caps=account.key.caps if account.key and account.key.caps else None,
            surface=surface,
            cancel_at=None if options.cancel_after_ms is None
            else now_ms() + options.cancel_after_ms,
            result_retention_ms=options.result_retention_ms,
            webhook_events=checked.webhook_events,
        ),
        key,
    )
    task = created.task
    # The rest of this request's lines are about this task (logs/context.py).
    log_context.set_task(task.id, account.id, task.model)
    # Counted and announced to a worker unless a same-keyed request came first.
    services.events.publish(created.events)
    return Created(task, ignored, options)


# The three endpoints below are the hot path, so they take the Request alone and authenticate
# inline: FastAPI's dependency resolution was a quarter of a createTask's time (cProfile under
# wrk). The OpenAPI document still shows their bodies and security through openapi_extra.
async def create_from_request(request: Request, surface: Surface) -> Created:
    """Authenticate, read the body and create the task: what every create surface does."""
    services = services_of(request)
    account = await authenticate(request, services)
    body = await read_json_object(request, services.settings.max_json_body_bytes)
    key = idempotency_key_of(request)
    options = task_options_of(request, services.settings)
    return await create_task(
        body, account, services, idempotency_key=key, surface=surface, options=options
    )


@router.post("/api/v1/jobs/createTask", openapi_extra=_CREATE_V1)
async def create_task_v1(request: Request) -> Response:
    """Create a generation task; answers ``data.taskId`` (and ``recordId``, the same value)."""
    created = await create_from_request(request, Surface.JOBS)
    data = wire.created(created.task.id)
    if sync_mode.wants_sync(created.task):
        data.update(await sync_mode.outcome(services_of(request), created.task))
    return created.options.answer(naming_ignored(success(data), created.ignored))


@router.post("/api/v2/jobs/createTask", openapi_extra=_CREATE_V2)
async def create_task_v2(request: Request) -> Response:
    """Spec 002's v2 create: the same task, answered as ``{code, message, data.task_id}``."""
    created = await create_from_request(request, Surface.JOBS_V2)
    data = wire.created_v2(created.task.id)
    if sync_mode.wants_sync(created.task):
        data.update(await sync_mode.outcome(services_of(request), created.task))
    return created.options.answer(naming_ignored(success(data, v2=True), created.ignored))


@router.get("/api/v1/jobs/recordInfo", openapi_extra=_RECORD_INFO)
async def record_info(request: Request) -> Response:
    """A task's record: state, param, resultJson, failCode/failMsg, times, progress (as spec
    002 shows it for a task created through v2: ``message``, and "" for no failCode), and
    ``queuePosition``."""
    services, task = await task_of_request(request)
    v2 = task.surface is Surface.JOBS_V2
    record = wire.record_data_v2 if v2 else wire.record_data
    position = await queue_position(services, task)
    return success(record(task, services.signer.url, position), v2=v2)


async def queue_position(services: Services, task: Task) -> int | None:
    """imagegate's addition to a record: how many tasks will be claimed before this waiting
    one (0: it is next), null once it is claimed or finished (tasks/queue_stats.py)."""
    if task.state is not TaskState.WAITING:
        return None  # no query for the tasks a client polls most: running and finished
    return await services.queue_stats.position(task.id)


async def task_of_request(
    request: Request, models: Collection[str] | None = None
) -> tuple[Services, Task]:
    """The account's task named by ``?taskId=``, as every record-info surface looks it up:
    authenticated, rate-limited as a query, 404 when unknown or (``models``) of another model,
    so one endpoint does not answer for another's tasks."""
    services = services_of(request)
    account = await authenticate(request, services)
    await services.rate_limits.hit("query", account.id, account.query_rate)
    task_id = request.query_params.get("taskId", "")
    if not task_id:
        raise ValidationFailed("taskId", "is required")
    if len(task_id) > 128:
        raise ValidationFailed("taskId", "must be at most 128 characters")
    task = await services.store.get_task(task_id, account.id)
    if task is None or (models is not None and task.model not in models):
        raise NotFound(f"Task not found: {task_id}")
    # The rest of this request's lines (a signing or cancel error, say) are about this task.
    log_context.set_task(task.id, account.id, task.model, task.engine)
    return services, task
