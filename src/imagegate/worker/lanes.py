"""Engine lanes: a worker holds no more tasks of a bounded engine than that engine can run.

An engine whose work waits for a bounded resource of this process declares a ``capacity``
(engines/base.py; the classic engine: its CPU pool's processes). Without a bound, every worker
slot claimed the next reframe and waited on the one CPU process, and a 2-second mock task
queued behind them took 38-55 s (issue 20, bench/cpu_starvation.py). With lanes, a task holds a
place on the lane of the engine that heads its route (``Router.head``: the first one in
rotation) from its claim to its end; while a lane is full, claims pass over that engine's
models (``TaskStore.claim``'s ``exclude``), which keep their turn in the fair queue and are
next once a place frees.

A task that fails over into a bounded engine it did not head is not counted: the engine's pool
still bounds the work, and once the failing engine's circuit opens, the bounded engine heads
the route and its lane counts again. Only the models with a route of their own can be passed
over; the default route (pass-through upstreams) holds no bounded engine.
"""

from __future__ import annotations

from collections import Counter

from imagegate.engines.base import capacity_of
from imagegate.engines.router import Router


class EngineLanes:
    """The places the router's bounded engines have, and the tasks of this worker in them.
    One event loop: no locks needed; the worker claims one task at a time while any lane is
    bounded, so a full lane is seen before the next claim."""

    def __init__(self, router: Router) -> None:
        self._router = router
        self._capacity: dict[str, int] = {}
        for engine in router.engines():
            capacity = capacity_of(engine)
            if capacity is not None:
                self._capacity[engine.name] = capacity
        self._held: Counter[str] = Counter()

    @property
    def bounded(self) -> bool:
        """Whether any engine of the routes has a lane at all."""
        return bool(self._capacity)

    def _full(self, engine: str) -> bool:
        capacity = self._capacity.get(engine)
        return capacity is not None and self._held[engine] >= capacity

    def excluded(self) -> list[str]:
        """The models whose next task would wait for a full lane: the claim passes them over
        (empty while every lane has room, the common case, at no cost)."""
        if not any(self._full(engine) for engine in self._capacity):
            return []
        excluded = []
        for model in self._router.models():
            head = self._router.head(model)
            if head is not None and self._full(head.name):
                excluded.append(model)
        return excluded

    def take(self, model: str) -> str | None:
        """A claimed task of ``model`` takes a place on its head engine's lane; the engine's
        name to give back at the task's end, or None when that engine is not bounded."""
        head = self._router.head(model)
        if head is None or head.name not in self._capacity:
            return None
        self._held[head.name] += 1
        return head.name

    def give_back(self, engine: str | None) -> bool:
        """The task that took a place on ``engine``'s lane ended; whether the lane was full
        (then tasks of it may be waiting, passed over by idle slots)."""
        if engine is None:
            return False
        was_full = self._full(engine)
        self._held[engine] -= 1
        return was_full

    def held(self) -> dict[str, int]:
        """Tasks of this worker on each bounded engine's lane, for tests and logs."""
        return {engine: self._held[engine] for engine in sorted(self._capacity)}
