"""Rate limits shared by several API processes through Redis (127.0.0.1:6379 on these
machines; skipped, with the reason, where none answers), and what happens without it."""

from __future__ import annotations

import socket
import uuid

import pytest

from imagegate.api.ratelimit import RateLimits
from imagegate.errors import RateLimited

from loopback import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reason() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return "127.0.0.1:6379 does not answer PING like Redis"
    except OSError as exc:
        return f"no Redis at 127.0.0.1:6379: {exc}"
    return None


async def test_two_processes_share_one_budget_through_redis() -> None:
    reason = _redis_reason()
    if reason:
        pytest.skip(reason)
    first = RateLimits("3/10s", "10/1s", REDIS_URL)
    second = RateLimits("3/10s", "10/1s", REDIS_URL)  # another API process, same Redis
    account = uuid.uuid4().hex
    await first.hit("create", account)
    await second.hit("create", account)
    await first.hit("create", account)
    with pytest.raises(RateLimited) as refused:
        await second.hit("create", account)
    assert 1 <= refused.value.retry_after <= 10
    # Another account, and the other kind of request, have budgets of their own.
    await second.hit("create", uuid.uuid4().hex)
    await second.hit("query", account)


async def test_without_shared_storage_each_process_counts_its_own() -> None:
    first, second = RateLimits("1/10s", "1/1s"), RateLimits("1/10s", "1/1s")
    await first.hit("create", "acct")
    await second.hit("create", "acct")  # a fleet of N allows N times the rate
    with pytest.raises(RateLimited):
        await first.hit("create", "acct")


async def test_a_redis_that_does_not_answer_lets_requests_through() -> None:
    port = free_port()  # nothing listens there (a port of this test process's own block)
    limits = RateLimits("1/10s", "1/1s", f"redis://127.0.0.1:{port}/0")
    for _ in range(3):
        await limits.hit("create", "acct")  # no 429, no 500: the service stays up


def test_a_storage_url_that_is_not_redis_is_refused() -> None:
    with pytest.raises(ValueError, match="expected redis://"):
        RateLimits("1/10s", "1/1s", "memcached://127.0.0.1:11211")
