"""A circuit breaker per engine: a failing engine is taken out of rotation, then probed back.

``failures`` consecutive retryable failures open the breaker for ``cooldown`` seconds; the
router skips the engine meanwhile. Past the cooldown the breaker is half-open: the next task
probes the engine (other tasks keep skipping it while the probe runs); a success closes the
breaker, a retryable failure opens it again for another cooldown. Errors that are the input's
fault (``TaskError.retryable`` false) say nothing about the engine and never count.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Clock = Callable[[], float]


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


def format_time(epoch: float) -> str:
    """An epoch time as ISO 8601 UTC with seconds, e.g. ``2025-01-02T03:04:05Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class BreakerView:
    """A breaker's state as the admin API shows it."""

    state: BreakerState
    failures: int  # consecutive retryable failures
    open_until: float | None  # epoch seconds; set while open

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "failures": self.failures,
            "openUntil": format_time(self.open_until) if self.open_until is not None else None,
        }


class CircuitBreaker:
    """The breaker of one engine. Single event loop: no locks needed."""

    def __init__(self, failures: int = 5, cooldown: float = 30.0, clock: Clock = time.time):
        if failures < 1:
            raise ValueError("breaker failures must be at least 1")
        if cooldown <= 0:
            raise ValueError("breaker cooldown must be positive")
        self.threshold = failures
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.open_until: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self.open_until is None:
            return BreakerState.CLOSED
        if self.clock() < self.open_until:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def view(self) -> BreakerView:
        state = self.state
        until = self.open_until if state is BreakerState.OPEN else None
        return BreakerView(state, self.failures, until)

    def acquire(self) -> bool:
        """Whether a task may use the engine now; a half-open breaker lets one probe through.

        Every ``acquire`` that answers True must be followed by ``success``, ``failure`` or
        ``release``.
        """
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN or self._probing:
            return False
        self._probing = True
        return True

    def success(self) -> None:
        self.failures = 0
        self.open_until = None
        self._probing = False

    def failure(self) -> None:
        """A retryable failure: counts towards opening; a failed probe opens again at once."""
        self.failures += 1
        if self._probing or self.failures >= self.threshold:
            self.open_until = self.clock() + self.cooldown
        self._probing = False

    def release(self) -> None:
        """The engine was used but told nothing about its health (the input's fault, a
        cancellation): the state stays as it was, and a half-open breaker may probe again."""
        self._probing = False
