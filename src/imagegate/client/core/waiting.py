"""How long the client waits: between polls of a running task, and before repeating a failed
call (or whether it repeats it at all)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imagegate.client.core.requests import ApiRequest
from imagegate.client.errors import APIError, RateLimitError


def poll_delay(elapsed: float) -> float:
    """Seconds to wait before the next recordInfo, ``elapsed`` seconds into waiting.

    Kie's advice: every 2-3 s for the first 30 s, then 5-10 s, then 15-30 s after two
    minutes. The delay grows smoothly inside each band so a long task costs few queries.
    """
    if elapsed < 30.0:
        return 2.5
    if elapsed < 120.0:
        return 5.0 + 5.0 * (elapsed - 30.0) / 90.0
    return min(30.0, 15.0 + 15.0 * (elapsed - 120.0) / 300.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How calls are repeated: at most ``max_retries`` times, after a jittered exponential
    backoff (``base_delay`` doubling up to ``max_delay``), or after the Retry-After of a 429
    when it is at most ``max_retry_after`` seconds (a longer one is raised to the caller)."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0


RETRYABLE_CODES = frozenset({455, 500, 502, 503, 504})


def backoff_delay(policy: RetryPolicy, attempt: int, random: Callable[[], float]) -> float:
    """Equal jitter: within [ceiling/2, ceiling] where ceiling = min(max, base * 2^attempt);
    jitter spreads clients that failed together, the floor keeps them from hammering."""
    ceiling = min(policy.max_delay, policy.base_delay * (2.0 ** attempt))
    return ceiling / 2 + random() * ceiling / 2


def delay_after_error(
    policy: RetryPolicy,
    attempt: int,
    request: ApiRequest,
    error: APIError,
    random: Callable[[], float],
) -> float | None:
    """Seconds to wait before repeating ``request`` after ``error`` on try ``attempt`` (0 is
    the first), or None to raise it."""
    if attempt >= policy.max_retries:
        return None
    if isinstance(error, RateLimitError):
        # A 429 refused the request before doing anything (Kie: excess tasks are not queued),
        # so even a call that is not idempotent may be repeated.
        if error.retry_after is None:
            return backoff_delay(policy, attempt, random)
        return error.retry_after if error.retry_after <= policy.max_retry_after else None
    if request.idempotent and error.code in RETRYABLE_CODES:
        return backoff_delay(policy, attempt, random)
    return None


def delay_after_transport_error(
    policy: RetryPolicy,
    attempt: int,
    request: ApiRequest,
    *,
    sent: bool,
    random: Callable[[], float],
) -> float | None:
    """As :func:`delay_after_error` for a failed connection. ``sent``: the request may have
    reached the service (a read failed), so only an idempotent one is repeated; a connection
    that never opened carried nothing and is always safe to try again."""
    if attempt >= policy.max_retries:
        return None
    if request.idempotent or not sent:
        return backoff_delay(policy, attempt, random)
    return None


def maybe_sent(exc: Exception) -> bool:
    """Whether a failed request may have reached the service: a connection that never opened
    carried nothing; anything later may have."""
    import httpx

    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
