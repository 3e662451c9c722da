"""How long one upstream request waits out 429s: ``Retry-After`` honoured while the waits add up
to at most the provider's ``patience_seconds``; past that the route's next engine gets the task.
Shared by every upstream engine so that they count the same way."""

from __future__ import annotations

# A 429 without Retry-After, or one of 0 s, still waits this long before the repeat.
MIN_WAIT = 0.5
# However short the waits, a request is not repeated forever on one upstream.
MAX_REPEATS = 10


class RateLimitWaits:
    """The 429 waits of one request."""

    def __init__(self, patience: float) -> None:
        self.patience = patience
        self.waited = 0.0
        self.repeats = 0

    @staticmethod
    def wait_for(retry_after: float | None) -> float:
        return max(MIN_WAIT, retry_after or 0.0)

    def next(self, retry_after: float | None) -> float | None:
        """Seconds to wait before the repeat, or None when that would exceed the patience."""
        wait = self.wait_for(retry_after)
        if self.waited + wait > self.patience or self.repeats >= MAX_REPEATS:
            return None
        self.waited += wait
        self.repeats += 1
        return wait
