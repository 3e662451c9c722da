"""An upstream's refusals and faults, as the TaskErrors the router reads.

Every message starts with ``upstream NAME`` and says what the upstream did, so a task's
``failMsg`` tells the operator which provider failed and how. The split follows the issue's
rule for failover: the input's fault (400, 413, 422, a task the upstream failed with such a
code) is not retryable, because every provider would refuse it; everything else — no answer,
a slow answer, 5xx, a 429 longer than our patience, 401/402 (the operator's key or balance
there), malformed answers, a task failed on the upstream's side — is, and the route's next
engine gets the task.
"""

from __future__ import annotations

from imagegate.client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ValidationError,
)
from imagegate.errors import EngineUnavailable, GenerationFailed, InputRejected, TaskError

# Fail codes an upstream task may end with that blame the input (Kie's list: 400 bad request,
# 413 too large, 422 validation); 401, 404, 500, 501 and the rest are the upstream's own.
INPUT_FAIL_CODES = frozenset({"400", "413", "422"})


def clip(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters: upstream bodies can be whole pages."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unreachable(name: str, detail: str) -> EngineUnavailable:
    return EngineUnavailable(f"upstream {name}: unreachable ({clip(detail)})")


def timed_out(name: str, what: str, seconds: float) -> EngineUnavailable:
    return EngineUnavailable(f"upstream {name}: no answer to {what} within {seconds:g} s")


def from_api_error(name: str, what: str, exc: APIError, *, patience: float) -> TaskError:
    """The TaskError for the upstream refusing ``what`` (e.g. "createTask") with ``exc``."""
    said = f"{clip(exc.msg)} (code {exc.code}" + (
        f", HTTP {exc.status})" if exc.status and exc.status != exc.code else ")"
    )
    if isinstance(exc, RateLimitError):
        wait = exc.retry_after
        beyond = (
            f"Retry-After {wait:g} s is beyond the patience of {patience:g} s"
            if wait is not None and wait > patience
            else "still rate-limited after retrying"
        )
        return EngineUnavailable(f"upstream {name}: {what} rate-limited (429): {beyond}")
    if isinstance(exc, InsufficientCreditsError):
        return EngineUnavailable(
            f"upstream {name}: {what} refused for the operator's balance there: {said}"
        )
    if isinstance(exc, AuthenticationError):
        return EngineUnavailable(f"upstream {name}: {what} refused the operator's key: {said}")
    if isinstance(exc, ValidationError | BadRequestError) and not isinstance(exc, NotFoundError):
        return InputRejected(f"upstream {name}: {what} refused the input: {said}")
    if isinstance(exc, NotFoundError):
        return GenerationFailed(f"upstream {name}: {what}: not found there: {said}")
    return EngineUnavailable(f"upstream {name}: {what} failed: {said}")


def malformed(name: str, what: str, exc: ProtocolError) -> EngineUnavailable:
    return EngineUnavailable(f"upstream {name}: {what} answered malformed data: {clip(str(exc))}")


def task_failed(name: str, upstream_id: str, code: str | None, msg: str | None) -> TaskError:
    """An upstream task that ended in ``fail``: the input's fault (failCode 422 here) or the
    upstream's (500 kept as 500, an internal error there; any other code is 501, Kie's
    "generation failed")."""
    said = f"{code or 'no code'}: {clip(msg or 'no message')}"
    if code in INPUT_FAIL_CODES:
        return InputRejected(f"upstream {name}: task {upstream_id} failed on the input: {said}")
    failed = GenerationFailed(f"upstream {name}: task {upstream_id} failed: {said}")
    if code == "500":
        failed.fail_code = "500"
    return failed
