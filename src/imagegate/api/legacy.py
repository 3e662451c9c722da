"""What Kie's per-model endpoints share: thin adapters over the one task lifecycle.

A generate endpoint maps its body to ``{model, input, callBackUrl}`` and creates an ordinary
task through ``jobs.create_task``; a record-info endpoint reads the ordinary task and renders it
in its own shape (``imagegate.wire``). Neither holds any lifecycle of its own (DESIGN.md, "The
house").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from fastapi import Request

from imagegate.accounts.model import Account
from imagegate.api import schemas
from imagegate.api.auth import authenticate
from imagegate.api.body import read_json_object
from imagegate.api.deps import services_of
from imagegate.api.jobs import Created, create_task, idempotency_key_of, task_of_request
from imagegate.api.task_headers import task_options_of
from imagegate.catalog import get_model
from imagegate.catalog.spec import ModelSpec
from imagegate.errors import ValidationFailed
from imagegate.tasks.model import Task
from imagegate.wire.legacy import CALLBACK_KEYS
from imagegate.wire.surfaces import Surface

SECURITY = schemas.SECURITY
TASK_ID_PARAMETER = schemas.TASK_ID_PARAMETER
IDEMPOTENCY_KEY_PARAMETER = schemas.IDEMPOTENCY_KEY_PARAMETER


async def read_request(request: Request) -> tuple[Account, dict[str, Any]]:
    """The caller (401 first, as in the jobs API) and the body as a JSON object."""
    services = services_of(request)
    account = await authenticate(request, services)
    return account, await read_json_object(request, services.settings.max_json_body_bytes)


async def create_mapped(
    request: Request,
    account: Account,
    body: Mapping[str, Any],
    model: str,
    *,
    surface: Surface,
    routing_keys: Collection[str] = (),
    check: Callable[[Mapping[str, Any]], None] | None = None,
) -> Created:
    """Create the task for an endpoint body, kept as created through ``surface`` (its callback
    takes that surface's shape): its fields (less the callback and ``routing_keys``)
    become the model's ``input``. ``check`` sees the validated input first (rules of the
    endpoint beyond the model's fields). A refused input field is named as the endpoint names
    it (``size``, not ``input.size``), and so is an ignored one (``uploadCn``). The request's
    ``Idempotency-Key`` is honoured as by createTask (the key covers the mapped body: model,
    input and callback URL), and so are ``Cancel-After`` and ``X-Result-Retention``."""
    key = idempotency_key_of(request)
    skip = {*CALLBACK_KEYS, *routing_keys}
    mapped: dict[str, Any] = {
        "model": model,
        "input": {key: value for key, value in body.items() if key not in skip},
    }
    mapped.update({key: body[key] for key in CALLBACK_KEYS if key in body})
    try:
        spec = get_model(model)
        if check is not None and spec is not None:
            check(spec.validate(mapped["input"]))
        services = services_of(request)
        created = await create_task(
            mapped, account, services, idempotency_key=key, surface=surface,
            options=task_options_of(request, services.settings),
        )
        return Created(
            created.task, tuple(name.removeprefix("input.") for name in created.ignored)
        )
    except ValidationFailed as exc:
        if exc.field.startswith("input."):
            raise ValidationFailed(exc.field.removeprefix("input."), exc.problem) from None
        raise


async def read_task(request: Request, models: Collection[str]) -> Task:
    """The caller's task named by ``taskId``; 404 when unknown, another account's, or of a
    model this endpoint does not serve (a Flux task is not a GPT-4o record)."""
    _, task = await task_of_request(request, models)
    return task


def request_schema(
    spec: ModelSpec, extra: Mapping[str, Any], example: Mapping[str, Any],
    *, rules: tuple[Mapping[str, Any], ...] = (),
) -> dict[str, Any]:
    """An OpenAPI requestBody for an endpoint whose body is the model's input plus ``extra``;
    ``rules``: the endpoint's own checks across fields, as JSON Schemas the body must match."""
    body = schemas.flat_body(spec, extra)
    if rules:
        body["allOf"] = [*body.get("allOf", ()), *map(dict, rules)]
    return schemas.json_body(body, dict(example))


def answer_schema(
    data: Mapping[str, Any], example: Mapping[str, Any], *, creates: bool = False
) -> dict[str, Any]:
    """OpenAPI responses: ``data`` in Kie's envelope, and the refusals in the same one
    (``creates``: a generate's answer, with its ignored-fields header)."""
    return schemas.responses(
        data, errors=(*schemas.JOBS_ERRORS, 404), example=dict(example),
        description="Success (refusals: the same envelope with the error's code)",
        creates=creates,
    )
