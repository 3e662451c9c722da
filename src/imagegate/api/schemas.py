"""The OpenAPI document's shared pieces: envelopes, error answers and request bodies.

The hot-path endpoints take the raw Request, so FastAPI cannot infer their schemas; each
declares them through ``openapi_extra=operation(...)``, built from the helpers here. The
envelopes live once under ``components.schemas`` (``components()``, merged by the app) and
operations refer to them, so no endpoint carries a copy.

HTTP status of a refusal (the default wire mode; ``business_errors_http_200`` answers every
refusal with HTTP 200 and the same body): 400, 401, 402, 404, 413, 422, 429 and 500 as the
envelope's ``code``; code 505 (feature disabled) is HTTP 403 and code 455 (maintenance) HTTP 503.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from imagegate.catalog import ModelSpec, all_models

Surface = Literal["v1", "v2", "upload"]

REF = "#/components/schemas/"
SECURITY: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"ApiKeyHeader": []}]
# A task id as a request names it: createTask's answer, never empty.
TASK_ID_STRING: Final = {"type": "string", "minLength": 1, "maxLength": 128}
TASK_ID_PARAMETER: dict[str, Any] = {
    "name": "taskId", "in": "query", "required": True,
    "schema": dict(TASK_ID_STRING),
    "description": "The task's id, as createTask answered it",
}
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {
        "type": "string", "minLength": 1, "maxLength": 255,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    },
    "description": (
        "Makes the create safe to retry: 1-255 printable ASCII characters (a UUID, say),"
        " scoped to the account. The same key with the same request within 24 hours"
        " (IMAGEGATE_IDEMPOTENCY_HOURS) answers with the task it made (no new task, no new"
        " charge, not rate limited); the same key with another request is refused (422)."
    ),
    "example": "5b0c3b1e-8f7a-4c1d-9e2f-0a1b2c3d4e5f",
}
_DURATION: dict[str, Any] = {
    "type": "string", "minLength": 2, "maxLength": 64, "pattern": "^([0-9]{1,9}(ms|s|m|h|d))+$",
}
CANCEL_AFTER_PARAMETER: dict[str, Any] = {
    "name": "Cancel-After", "in": "header", "required": False, "schema": dict(_DURATION),
    "description": (
        "imagegate's addition (Replicate's name): a task not finished this long after its"
        " create is cancelled (fail, failCode CANCELED, failMsg naming the deadline) and"
        " refunded; one that never started is never charged. A duration as <integer><unit>"
        " parts, unit ms/s/m/h/d (500ms, 90s, 5m, 1h30m), clamped into 1s..24h; another value"
        " is a 422 naming the header. Honoured within about a second"
    ),
    "example": "90s",
}
RESULT_RETENTION_PARAMETER: dict[str, Any] = {
    "name": "X-Result-Retention", "in": "header", "required": False,
    "schema": dict(_DURATION),
    "description": (
        "imagegate's addition: keep the task's result files this long (1s at least) instead"
        " of the operator's setting (IMAGEGATE_RESULT_RETENTION_HOURS, 14 days by default);"
        " then they are deleted and their links stop working. A longer value is clamped to the"
        " operator's; the jobs API's answer says what applies in X-Result-Retention-Applied"
    ),
    "example": "1h",
}
CREATE_PARAMETERS: Final = (CANCEL_AFTER_PARAMETER, RESULT_RETENTION_PARAMETER)
RETENTION_APPLIED_HEADER: Final = {
    "X-Result-Retention-Applied": {
        "description": "When X-Result-Retention was sent: how long the results are kept, in"
                       " seconds (\"3600s\"), after the clamp to the operator's setting",
        "schema": {"type": "string", "pattern": "^[0-9]+s$"},
    }
}
CALLBACK_URL: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2048},
        {"const": ""}, {"type": "null"},
    ],
    "description": "Where the task's result is POSTed when it ends (http or https); empty or"
                   " null: no callback",
}

_CODE = {"type": "integer", "description": "200 on success, else the error's code"}
_NULL = {"type": "null"}
_ERROR_TEXT: dict[int, str] = {
    400: "Malformed request: not JSON, not an object, wrong content type",
    401: "Missing or invalid API key",
    402: "The account's credits are short of the task's price",
    403: "code 505: the model is disabled (no engine serves it)",
    404: "Not found (an unknown task, or another account's)",
    413: "The body is over its limit",
    422: "A field is missing or out of its limits (the message names it)",
    429: "Rate limited; see the Retry-After header",
    500: "Unexpected server error",
}
_ERROR_SCHEMA: dict[Surface, str] = {"v1": "ErrorV1", "v2": "ErrorV2", "upload": "UploadError"}

JOBS_ERRORS = (400, 401, 402, 403, 413, 422, 429)
QUERY_ERRORS = (401, 404, 422, 429)


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def components() -> dict[str, Any]:
    """The shared schemas, for ``components.schemas``."""
    return {
        "ErrorV1": {
            "type": "object", "required": ["code", "msg"],
            "properties": {"code": _CODE, "msg": {"type": "string"}, "data": _NULL},
            "description": "Kie's jobs envelope of a refusal: {code, msg, data: null}",
        },
        "ErrorV2": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": _CODE, "message": {"type": "string"}, "msg": {"type": "string"},
                "data": _NULL,
            },
            "description": "Spec 002's v2 envelope of a refusal: {code, message, data: null}",
        },
        "UploadError": {
            "type": "object", "required": ["success", "code", "msg"],
            "properties": {
                "success": {"const": False}, "code": _CODE, "msg": {"type": "string"},
                "data": _NULL,
            },
            "description": "The upload endpoints' refusal: {success: false, code, msg, data}",
        },
        "TaskRecord": {
            "type": "object",
            "required": ["taskId", "model", "state", "param", "createTime"],
            "properties": {
                "taskId": {"type": "string"},
                "model": {"type": "string"},
                "state": {"type": "string",
                          "enum": ["waiting", "queuing", "generating", "success", "fail"]},
                "param": {"type": "string", "description": "The create request, as JSON text"},
                "resultJson": {"type": ["string", "null"],
                               "description": 'On success: {"resultUrls": [...]} as JSON text'},
                "failCode": {"type": ["string", "null"]},
                "failMsg": {"type": ["string", "null"]},
                "costTime": {"type": ["integer", "null"], "description": "Milliseconds"},
                "completeTime": {"type": ["integer", "null"], "description": "Epoch ms"},
                "createTime": {"type": "integer", "description": "Epoch ms"},
                "updateTime": {"type": ["integer", "null"], "description": "Epoch ms"},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "engine": {
                    "type": ["string", "null"],
                    "description": "imagegate's addition: the engine (or upstream provider) that"
                    " served the task, or tried it last; null before generation starts",
                },
                "queuePosition": {
                    "type": ["integer", "null"], "minimum": 0,
                    "description": "imagegate's addition (recordInfo): how many waiting tasks"
                    " will be claimed before this one under the fair scheduler (0: next); null"
                    " once claimed or finished. An estimate where later arrivals, expired"
                    " leases or workers serving only some models change the order",
                },
            },
        },
        "Account": {
            "type": "object",
            "required": ["id", "name", "keyPrefix", "credits", "disabled", "createdAt"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "keyPrefix": {"type": "string"},
                "credits": {"type": "number"},
                "hasWebhookSecret": {"type": "boolean"},
                "webhookScheme": {"type": "string", "enum": ["kie", "standard"],
                                  "description": "How its callbacks are signed"},
                "createRate": {"type": ["string", "null"]},
                "queryRate": {"type": ["string", "null"]},
                "disabled": {"type": "boolean"},
                "createdAt": {"type": "integer"},
                "apiKey": {"type": "string", "description": "Only when the account is made"},
            },
        },
    }


def envelope(data: Mapping[str, Any], surface: Surface = "v1") -> dict[str, Any]:
    """The success envelope of ``surface`` around ``data``."""
    properties: dict[str, Any] = {
        "code": {"type": "integer", "const": 200}, "msg": {"type": "string"}, "data": dict(data),
    }
    required = ["code", "msg", "data"]
    if surface == "v2":
        properties["message"] = {"type": "string"}
        required = ["code", "message", "data"]
    if surface == "upload":
        properties["success"] = {"const": True}
        required = ["success", *required]
    return {"type": "object", "required": required, "properties": properties}


def error_responses(
    statuses: Iterable[int], schema: Mapping[str, Any], *, retry_after: bool = True
) -> dict[str, Any]:
    """OpenAPI responses for refusals, all with ``schema`` (plus 500, always possible)."""
    answers: dict[str, Any] = {}
    for status in sorted({*statuses, 500}):
        answer: dict[str, Any] = {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": dict(schema)}},
        }
        if status == 429 and retry_after:
            answer["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}
            }
        answers[str(status)] = answer
    return answers


# A create answer's header naming what the request sent that the model does not know.
IGNORED_FIELDS_HEADER: Final = {
    "X-Imagegate-Ignored-Fields": {
        "description": "The request's fields that were ignored, comma separated, as Kie"
                       " ignores fields it does not know (input fields as input.<name>;"
                       " non-ASCII percent-encoded; at most 20 named). Absent when none was.",
        "schema": {"type": "string"},
    }
}


def responses(
    data: Mapping[str, Any],
    *,
    surface: Surface = "v1",
    errors: Iterable[int] = (),
    example: Any = None,
    description: str = "Success",
    creates: bool = False,
) -> dict[str, Any]:
    """The 200 answer (``data`` in the surface's envelope) and the surface's refusals;
    ``creates``: a create's answer, which may name ignored fields in a header."""
    content: dict[str, Any] = {"schema": envelope(data, surface)}
    if example is not None:
        body: dict[str, Any] = {"code": 200, "msg": "success", "data": example}
        if surface == "v2":
            body["message"] = "success"
        if surface == "upload":
            body = {"success": True, **body, "msg": "File uploaded successfully"}
        content["example"] = body
    ok: dict[str, Any] = {"description": description, "content": {"application/json": content}}
    if creates:
        ok["headers"] = {**IGNORED_FIELDS_HEADER, **RETENTION_APPLIED_HEADER}
    return {"200": ok, **error_responses(errors, ref(_ERROR_SCHEMA[surface]))}


def operation(
    answers: Mapping[str, Any],
    *,
    body: Mapping[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = SECURITY,
) -> dict[str, Any]:
    """``openapi_extra`` of an operation."""
    extra: dict[str, Any] = {"responses": dict(answers)}
    if body is not None:
        extra["requestBody"] = dict(body)
    if parameters is not None:
        extra["parameters"] = parameters
    if security is not None:
        extra["security"] = security
    return extra


def json_body(
    schema: Mapping[str, Any], example: Any = None, content: str = "application/json"
) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": dict(schema)}
    if example is not None:
        media["example"] = example
    return {"required": True, "content": {content: media}}


def model_input(spec: ModelSpec) -> dict[str, Any]:
    """The model's ``input`` object as JSON Schema (``ModelSpec.json_schema``)."""
    schema = spec.json_schema()
    schema.pop("examples", None)
    return schema


def flat_body(spec: ModelSpec, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A per-model endpoint's body: the model's input fields, ``extra`` ones and the callback
    URL side by side."""
    schema = model_input(spec)
    schema["properties"] = {
        **schema["properties"], **(extra or {}),
        "callBackUrl": CALLBACK_URL, "callbackUrl": CALLBACK_URL,
    }
    return schema


def create_task_schema(specs: Iterable[ModelSpec] | None = None) -> dict[str, Any]:
    """createTask's body: ``{model, input, callBackUrl}``, ``input`` the model's schema (one
    alternative per catalog model, told apart by ``model``)."""
    variants = []
    for spec in sorted(specs if specs is not None else all_models(), key=lambda s: s.name):
        variants.append({
            "type": "object",
            "title": spec.name,
            "required": ["model", "input"],
            "properties": {
                "model": {"type": "string", "const": spec.name},
                "input": model_input(spec),
                "callBackUrl": CALLBACK_URL,
                "callbackUrl": CALLBACK_URL,
                "priority": PRIORITY,
                "webhookEvents": WEBHOOK_EVENTS,
            },
        })
    return {"oneOf": variants}


WEBHOOK_EVENTS: dict[str, Any] = {
    "type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": True,
    "items": {"type": "string", "enum": ["start", "progress", "completed"]},
    "default": ["completed"],
    "description": "imagegate's addition: which callbacks callBackUrl gets. completed: the"
    " final one (Kie's, the default); start: when its engine starts; progress: when its"
    " progress moves (at most one a second). A start or progress callback is the current"
    " record in the callback's shape, {code: 200, msg, event: \"start\"|\"progress\", data},"
    " sent once (best effort, a few quick retries); the completed one is Kie's, retried until"
    " delivered",
}


PRIORITY: dict[str, Any] = {
    "type": "integer", "minimum": -10, "maximum": 10, "default": 0,
    "description": "imagegate's addition: orders this account's own waiting tasks, higher"
    " first; other accounts' tasks are queued fairly whatever it says",
}


TASK_ID_DATA: dict[str, Any] = {
    "type": "object", "required": ["taskId"], "properties": {"taskId": {"type": "string"}},
}
