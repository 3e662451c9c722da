"""The router's circuit breaker: an engine that keeps failing is skipped, then probed back."""

from __future__ import annotations

import pytest

from imagegate.engines.base import EngineJob, OutputImage
from imagegate.engines.breaker import BreakerState, CircuitBreaker, format_time
from imagegate.engines.router import Router
from imagegate.errors import (
    EngineFailed,
    EngineUnavailable,
    GenerationFailed,
    InputRejected,
    TaskError,
)

MODEL = "ideogram/v3-reframe"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Engine:
    """Fails with ``error`` while it is set, else answers one tiny image."""

    def __init__(self, name: str, error: TaskError | None = None) -> None:
        self.name = name
        self.error = error
        self.calls = 0

    def supports(self, model: str) -> bool:
        return True

    async def run(self, job: EngineJob) -> list[OutputImage]:
        self.calls += 1
        if self.error:
            raise self.error
        return [OutputImage(b"img", "image/png", 1, 1)]


def job() -> EngineJob:
    return EngineJob("t1", MODEL, {})


def router(*engines: Engine, clock: Clock, failures: int = 3, cooldown: float = 30) -> Router:
    return Router(
        {MODEL: list(engines)}, breaker_failures=failures, breaker_cooldown=cooldown, clock=clock
    )


async def fail_times(r: Router, n: int) -> None:
    for _ in range(n):
        with pytest.raises(EngineFailed):
            await r.run(job())


async def test_opens_after_n_consecutive_failures_and_skips_while_open() -> None:
    clock = Clock()
    flaky, spare = Engine("flaky", EngineUnavailable("down")), Engine("spare")
    r = router(flaky, spare, clock=clock)
    for expected in (1, 2):
        assert (await r.run(job())).engine == "spare"
        assert r.breakers()["flaky"].state is BreakerState.CLOSED
        assert r.breakers()["flaky"].failures == expected
    assert (await r.run(job())).engine == "spare"
    view = r.breakers()["flaky"]
    assert view.state is BreakerState.OPEN and view.failures == 3 and view.open_until == T0 + 30
    flaky.calls = 0
    clock.now += 29.9
    for _ in range(5):
        assert (await r.run(job())).engine == "spare"
    assert flaky.calls == 0  # skipped, not tried
    assert r.breakers()["spare"].state is BreakerState.CLOSED


async def test_a_success_resets_the_count() -> None:
    clock = Clock()
    engine = Engine("e", GenerationFailed("x"))
    r = router(engine, clock=clock)
    await fail_times(r, 2)
    engine.error = None
    await r.run(job())
    engine.error = GenerationFailed("x")
    await fail_times(r, 2)
    assert r.breakers()["e"].state is BreakerState.CLOSED and r.breakers()["e"].failures == 2


async def test_half_open_probe_success_closes() -> None:
    clock = Clock()
    engine = Engine("e", EngineUnavailable("down"))
    r = router(engine, clock=clock)
    await fail_times(r, 3)
    clock.now += 30
    assert r.breakers()["e"].state is BreakerState.HALF_OPEN
    engine.error = None
    assert (await r.run(job())).engine == "e"
    view = r.breakers()["e"]
    assert view.state is BreakerState.CLOSED and view.failures == 0 and view.open_until is None


async def test_half_open_probe_failure_opens_again_at_once() -> None:
    clock = Clock()
    engine, spare = Engine("e", EngineUnavailable("down")), Engine("spare")
    r = router(engine, spare, clock=clock, cooldown=10)
    for _ in range(3):
        await r.run(job())
    clock.now += 10
    engine.calls = 0
    assert (await r.run(job())).engine == "spare"  # the probe failed over to spare
    assert engine.calls == 1
    view = r.breakers()["e"]
    assert view.state is BreakerState.OPEN and view.open_until == clock.now + 10
    await r.run(job())
    assert engine.calls == 1


def test_half_open_lets_one_probe_through_at_a_time() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5, clock)
    assert breaker.acquire()
    breaker.failure()
    assert not breaker.acquire()
    clock.now += 5
    assert breaker.acquire()  # the probe
    assert not breaker.acquire()  # others skip while it runs
    breaker.release()  # the probe told nothing (the input's fault)
    assert breaker.state is BreakerState.HALF_OPEN and breaker.acquire()


async def test_rejected_input_never_counts() -> None:
    clock = Clock()
    engine = Engine("e", InputRejected("input.image_url: not an image"))
    r = router(engine, clock=clock, failures=1)
    await fail_times(r, 5)
    assert engine.calls == 5
    assert r.breakers()["e"].state is BreakerState.CLOSED and r.breakers()["e"].failures == 0


async def test_rejected_input_during_a_probe_leaves_it_half_open() -> None:
    clock = Clock()
    engine = Engine("e", EngineUnavailable("down"))
    r = router(engine, clock=clock, failures=1)
    await fail_times(r, 1)
    clock.now += 30
    engine.error = InputRejected("bad")
    await fail_times(r, 1)
    assert r.breakers()["e"].state is BreakerState.HALF_OPEN
    engine.error = None
    await r.run(job())
    assert r.breakers()["e"].state is BreakerState.CLOSED


async def test_every_engine_open_fails_unavailable_naming_them() -> None:
    clock = Clock()
    a, b = Engine("a", EngineUnavailable("a down")), Engine("b", GenerationFailed("b failed"))
    r = router(a, b, clock=clock, failures=1, cooldown=60)
    with pytest.raises(EngineFailed) as caught:
        await r.run(job())
    assert caught.value.engine == "b" and caught.value.error.msg == "b failed"
    a.calls = b.calls = 0
    with pytest.raises(EngineFailed) as caught:
        await r.run(job())
    assert a.calls == b.calls == 0
    error = caught.value.error
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert caught.value.engine is None
    until = format_time(T0 + 60)
    assert MODEL in error.msg
    assert f"a until {until}" in error.msg and f"b until {until}" in error.msg


async def test_one_breaker_per_engine_across_routes() -> None:
    clock = Clock()
    shared = Engine("shared", EngineUnavailable("down"))
    spare = Engine("spare")
    r = Router(
        {MODEL: [shared, spare], "qwen/image-edit": [shared, spare]},
        breaker_failures=1, clock=clock,
    )
    await r.run(job())
    shared.calls = 0
    await r.run(EngineJob("t2", "qwen/image-edit", {}))
    assert shared.calls == 0
    assert set(r.breakers()) == {"shared", "spare"}


def test_breaker_view_as_json() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 30, clock)
    assert breaker.view().as_json() == {"state": "closed", "failures": 0, "openUntil": None}
    breaker.acquire()
    breaker.failure()
    assert breaker.view().as_json() == {
        "state": "open", "failures": 1, "openUntil": format_time(T0 + 30),
    }
    assert format_time(T0 + 30) == "2023-11-14T22:13:50Z"
    clock.now += 30
    assert breaker.view().as_json()["state"] == "half-open"


@pytest.mark.parametrize(("failures", "cooldown"), [(0, 1), (1, 0)])
def test_breaker_refuses_nonsense(failures: int, cooldown: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failures, cooldown)
