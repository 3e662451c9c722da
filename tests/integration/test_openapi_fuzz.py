"""Property-based fuzzing of every operation of imagegate's own OpenAPI document (schemathesis),
held to schemathesis's default checks: no 5xx, documented statuses, headers and bodies, a
schema-valid request taken, a schema-violating one refused, auth enforced, ``Allow`` on 405.

The app runs in-process (ASGI) over a fresh mock-mode runtime on SQLite in tmp_path, worker off.
Each operation gets a bounded number of positive (valid by the document) and negative (invalid)
requests, derandomized so a run is repeatable. What no schema can say is supplied the way
schemathesis's own docs advise (realistic values for state the document cannot describe): a
fresh ``Idempotency-Key`` per request, a real file link of the account where one is asked for,
an expiry in the future.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection  # noqa: E402


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 140, 200)).save(out, "PNG")
    return out.getvalue()


EXAMPLES_PER_MODE = 12
# The Ideogram endpoints answer synchronously: with the worker off, the task is still running
# when they give up, a documented 504 (the task is kept). Any other 5xx is a failure.
SYNC_PATHS = ("/reframe", "/v1/ideogram-v3/reframe")
PNG = _png()
# Operations whose body names a file link of the caller's, and the field that does.
LINK_FIELDS = {"/api/v1/common/download-url": "url", "/api/file-url-upload": "fileUrl"}
SWITCHES = ("/api/admin/maintenance", "/api/admin/models")
# Operations that stream a task's events until it finishes.
STREAMS = ("/api/v1/jobs/events",)


FUZZ_SETTINGS: dict[str, Any] = {
    # Room for every generated request: a 429 would hide the code behind it.
    "create_rate": "100000/1s",
    "query_rate": "100000/1s",
    # The worker is off: the synchronous Ideogram endpoints answer 504 at once.
    "ideogram_sync_timeout_seconds": 0.01,
    # No 402 that would hide the create path behind it.
    "default_account_credits": 1e9,
}


def test_every_operation_survives_fuzzing(runtime_factory: Any) -> None:
    from imagegate.api.app import create_app

    runtime = runtime_factory(**FUZZ_SETTINGS)
    first = asyncio.run(runtime.first_start())
    app = create_app(runtime, manage_runtime=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    started = time.monotonic()
    failures: list[str] = []
    task_ids: dict[str, list[str]] = {}  # create path -> tasks the fuzzing made there
    operations = [result.ok() for result in schema.get_all_operations()]
    # The service-wide switches last (maintenance, disabled models): a valid body turns them
    # on, and every create fuzzed after it would only meet 455 or 505.
    operations.sort(key=lambda op: op.path.startswith(SWITCHES))
    link = _own_link(operations, first.default_key)
    for operation in operations:
        key = first.admin_key if operation.path.startswith("/api/admin/") else first.default_key
        headers = {"Authorization": f"Bearer {key}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures.extend(_fuzz(operation, mode, headers, task_ids, link))
    # Random ids only find 404s: read every task made above through every record surface
    # (200 in the surface's shape for its own models, 404 for the others).
    headers = {"Authorization": f"Bearer {first.default_key}"}
    readers = [op for op in operations if op.method.upper() == "GET" and any(
        param.get("name") == "taskId" for param in op.definition.raw.get("parameters", []))]
    recorded = [task for ids in task_ids.values() for task in ids]
    for operation in readers:
        if operation.path in STREAMS:
            continue  # below, once the tasks are finished
        for task_id in recorded:
            case = operation.Case(query={"taskId": task_id})
            failures.extend(_check(operation, "recorded task", case, headers, {}))
    # A live event stream lasts as long as its task, and the worker is off: the tasks are
    # cancelled (finished), and each stream then answers at once (its state, its record).
    asyncio.run(_cancel_all(runtime, recorded))
    for operation in [op for op in readers if op.path in STREAMS]:
        for task_id in recorded:
            case = operation.Case(query={"taskId": task_id})
            failures.extend(_check(operation, "finished task's stream", case, headers, {}))
    assert len(operations) >= 30 and len(readers) >= 9
    assert len(task_ids) >= 10, f"the positive cases made tasks only through {list(task_ids)}"
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 120


async def _cancel_all(runtime: Any, task_ids: list[str]) -> None:
    for task_id in task_ids:
        task = await runtime.store.get_task(task_id)
        if task is not None and not task.state.is_terminal:
            await runtime.lifecycle.cancel(task.account_id, task_id)


def _own_link(operations: list[Any], key: str) -> str:
    """A current link to a file of the default account's, made by a real upload."""
    upload = next(op for op in operations if op.path == "/api/file-base64-upload")
    case = upload.Case(body={"base64Data": "aGVsbG8=", "uploadPath": "fuzz", "fileName": "a.txt"})
    response = case.call(headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["downloadUrl"])


def _realistic(operation: Any, mode: str, case: Any, link: str) -> None:
    """Values that depend on the server's state or clock, which no schema can describe."""
    if case.headers and "Idempotency-Key" in case.headers:
        # A key already used for another request is refused (422, as the IETF draft says);
        # the generator reuses the document's example across requests.
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if mode != GenerationMode.POSITIVE.value or not isinstance(case.body, dict):
        return
    if operation.path in LINK_FIELDS:
        case.body[LINK_FIELDS[operation.path]] = link
    media = operation.definition.raw.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in media and operation.path in SYNC_PATHS:
        # An image field must hold an image (decoded, not only typed): a real 8x8 PNG.
        properties = media["multipart/form-data"]["schema"].get("properties", {})
        for name, spec in properties.items():
            if spec.get("format") == "binary" and name in case.body:
                case.body[name] = PNG
            elif spec.get("items", {}).get("format") == "binary" and name in case.body:
                case.body[name] = [PNG]
    if "expiresAt" in case.body and case.body["expiresAt"] is not None:
        case.body["expiresAt"] = int(time.time() * 1000) + 86_400_000  # "in the future"


def _sent_as_text_is_valid(operation: Any, case: Any) -> bool:
    """A multipart form carries every field as text: a "number" put where the document asks
    for a string arrives as a string, so the request sent was valid. schemathesis counts it
    a schema violation (its fix for whole bodies, schemathesis#3801, does not cover fields)."""
    import jsonschema

    media = operation.definition.raw.get("requestBody", {}).get("content", {})
    if "multipart/form-data" not in media or not isinstance(case.body, dict):
        return False
    schema = media["multipart/form-data"]["schema"]
    known = schema.get("properties", {})
    sent: dict[str, Any] = {}
    for name, value in case.body.items():
        if name not in known:
            continue  # any other part is allowed by the document and ignored by the server
        if isinstance(value, list):  # one part per item
            if len(value) > 1:
                return False  # a field sent more than once, which the server refuses
            if not value:
                continue  # no part at all
            value = value[0]
        sent[name] = value if isinstance(value, str | bytes) else json.dumps(value)
    files = {name for name, spec in known.items() if spec.get("format") == "binary"}
    text = {name: value for name, value in sent.items() if name not in files}
    if any(not isinstance(case.body.get(name), bytes | str) for name in files & set(sent)):
        return False
    return jsonschema.Draft202012Validator({**schema, "properties": {
        name: spec for name, spec in schema.get("properties", {}).items() if name not in files
    }, "required": [name for name in schema.get("required", []) if name not in files]}).is_valid(
        text
    )


def _check(
    operation: Any, mode: str, case: Any, headers: dict[str, str],
    task_ids: dict[str, list[str]], link: str = "",
) -> list[str]:
    """Send one case; what is wrong with the answer (nothing: an empty list)."""
    _realistic(operation, mode, case, link)
    try:
        response = case.call(headers=headers)
    except Exception as exc:  # the ASGI client re-raises what escaped the app
        return [f"{operation.label} ({mode}): raised {exc!r}\n{case.as_curl_command()}"]
    found = []
    status = response.status_code
    # /readyz answers 503 by design while the fuzzed runtime has no worker: its probe's answer.
    expected = (status == 504 and operation.path in SYNC_PATHS) or (
        status == 503 and operation.path == "/readyz"
    )
    if status >= 500 and not expected:
        found.append(
            f"{operation.label} ({mode}): HTTP {status}: {response.text}\n"
            f"{case.as_curl_command()}"
        )
    excluded = []
    if expected:  # a documented 503/504 by design; every other check still runs
        excluded.append(not_a_server_error)
    if mode == GenerationMode.NEGATIVE.value and _sent_as_text_is_valid(operation, case):
        excluded.append(negative_data_rejection)
    try:
        case.validate_response(response, headers=headers, excluded_checks=excluded)
    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
        if isinstance(exc, KeyboardInterrupt):
            raise
        found.append(f"{operation.label} ({mode}): {exc}")
    if status == 200 and operation.method.upper() == "POST":
        data = response.json().get("data")
        if isinstance(data, dict) and isinstance(data.get("taskId"), str):
            # A few tasks of each create surface, so that every model's record is read.
            ids = task_ids.setdefault(operation.path, [])
            if len(ids) < 3:
                ids.append(data["taskId"])
    return found


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str],
    task_ids: dict[str, list[str]], link: str,
) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        found.extend(_check(operation, mode.value, case, headers, task_ids, link))

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        assert mode is GenerationMode.NEGATIVE
    return found

