"""Property-based fuzzing of every operation of imagegate's own OpenAPI document (schemathesis).

The app runs in-process (ASGI) over a fresh mock-mode runtime on SQLite in tmp_path, worker off.
Each operation gets a bounded number of positive (valid by the document) and negative (invalid)
requests, derandomized so a run is repeatable; every answer must be no 500, carry a documented
status code, and match the schema documented for that status.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_MODE = 12
CHECKS = [status_code_conformance, response_schema_conformance]
# The Ideogram endpoints answer synchronously: with the worker off, the task is still running
# when they give up, a documented 504 (the task is kept). Any other 5xx is a failure.
SYNC_PATHS = ("/reframe", "/v1/ideogram-v3/reframe")
SWITCHES = ("/api/admin/maintenance", "/api/admin/models")


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
    for operation in operations:
        key = first.admin_key if operation.path.startswith("/api/admin/") else first.default_key
        headers = {"Authorization": f"Bearer {key}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures.extend(_fuzz(operation, mode, headers, task_ids))
    # Random ids only find 404s: read every task made above through every record surface
    # (200 in the surface's shape for its own models, 404 for the others).
    headers = {"Authorization": f"Bearer {first.default_key}"}
    readers = [op for op in operations if op.method.upper() == "GET" and any(
        param.get("name") == "taskId" for param in op.definition.raw.get("parameters", []))]
    for operation in readers:
        for task_id in [task for ids in task_ids.values() for task in ids]:
            case = operation.Case(query={"taskId": task_id})
            failures.extend(_check(operation, "recorded task", case, headers, {}))
    assert len(operations) >= 30 and len(readers) >= 9
    assert len(task_ids) >= 10, f"the positive cases made tasks only through {list(task_ids)}"
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 120


def _check(
    operation: Any, mode: str, case: Any, headers: dict[str, str],
    task_ids: dict[str, list[str]],
) -> list[str]:
    """Send one case; what is wrong with the answer (nothing: an empty list)."""
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
    try:
        case.validate_response(response, checks=CHECKS)
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
    task_ids: dict[str, list[str]],
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
        found.extend(_check(operation, mode.value, case, headers, task_ids))

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        assert mode is GenerationMode.NEGATIVE
    return found

