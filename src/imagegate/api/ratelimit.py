"""Per-account rate limits of createTask and recordInfo, on the ``limits`` library.

Rates are written ``N/Ws`` (``20/10s``: 20 requests in any 10 seconds; ``m`` and ``h`` work
too). A moving window, as Kie describes its limits: excess requests are refused with 429 and
``Retry-After``, never queued.

The counts live in this process by default. Several API processes share them through Redis
(``rate_limit_storage_url = "redis://host:6379/0"``); without it each process counts on its
own, so a fleet of N allows N times the rate. If Redis stops answering, requests are let
through (and logged) rather than refused: the limits protect the service, they must not take
it down.
"""

from __future__ import annotations

import logging
import math
import re
import time
from functools import lru_cache
from typing import Any

from limits import (
    RateLimitItem,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    RateLimitItemPerSecond,
)
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from imagegate.errors import RateLimited

log = logging.getLogger(__name__)
# N per W seconds, minutes or hours: N at least 1, W at least 1 (left out: 1). The OpenAPI
# document gives the same pattern (RATE_SCHEMA), so a rate it allows is one this server takes.
RATE_PATTERN = r"^\s*0*[1-9]\d{0,8}\s*/\s*(0*[1-9]\d{0,8})?\s*[smh]\s*$"
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")
RATE_SCHEMA: dict[str, Any] = {
    "type": ["string", "null"], "pattern": RATE_PATTERN, "maxLength": 64,
    "description": "N requests per W seconds, minutes or hours (N/Ws, N/Wm, N/Wh); null:"
                   " the server's default",
}
_UNITS = {"s": RateLimitItemPerSecond, "m": RateLimitItemPerMinute, "h": RateLimitItemPerHour}


@lru_cache(maxsize=256)
def parse_rate(text: str) -> RateLimitItem:
    """``"20/10s"`` → 20 per 10 seconds. Raises ValueError naming the expected form."""
    match = _RATE.match(text)
    if not match or not re.match(RATE_PATTERN, text):
        raise ValueError(f"rate {text!r} is not of the form N/Ws, N/Wm or N/Wh (e.g. 20/10s)")
    amount, window, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    return _UNITS[unit](amount, window)


def _storage(url: str) -> Any:
    """The counters' storage: this process's memory, or Redis at ``url`` (redis://,
    rediss://; limits' own ``async+redis://`` too)."""
    if not url:
        return MemoryStorage()
    if not url.startswith(("redis://", "rediss://", "async+redis://", "async+rediss://")):
        raise ValueError(f"rate_limit_storage_url {url!r}: expected redis://host:port/db")
    return storage_from_string(url if url.startswith("async+") else "async+" + url)


class RateLimits:
    """Checks one account's budget for one kind of request (``create`` or ``query``)."""

    def __init__(self, create_rate: str, query_rate: str, storage_url: str = "") -> None:
        self.defaults = {"create": parse_rate(create_rate), "query": parse_rate(query_rate)}
        self.shared = bool(storage_url)
        self._limiter = MovingWindowRateLimiter(_storage(storage_url))

    async def hit(self, kind: str, account_id: str, rate: str | None = None) -> None:
        """Count one request; raises RateLimited (429) when over the budget."""
        item = parse_rate(rate) if rate else self.defaults[kind]
        try:
            if await self._limiter.hit(item, "imagegate", kind, account_id):
                return
            stats = await self._limiter.get_window_stats(item, "imagegate", kind, account_id)
        except Exception:  # the shared storage is down: let the request through
            if not self.shared:
                raise
            log.warning("rate limits: the shared storage did not answer; not limiting",
                        exc_info=True)
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        what = "createTask" if kind == "create" else "recordInfo"
        raise RateLimited(
            f"Rate limit exceeded: at most {item.amount} {what} requests per "
            f"{item.multiples} {item.GRANULARITY.name}(s); retry after {retry_after} s",
            retry_after,
        )
