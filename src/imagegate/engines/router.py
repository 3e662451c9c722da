"""Routes: the ordered engines that serve a model, and failover between them.

The router tries a route's engines in order and moves to the next only when an engine fails in
a way another engine could fix (``TaskError.retryable``). An input that no engine can use
(``InputRejected``) ends the task at once. Each engine has a circuit breaker (``breaker.py``):
an engine that keeps failing is skipped for a while, then probed back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from imagegate import metrics
from imagegate.engines.base import Engine, EngineJob, OutputImage
from imagegate.engines.breaker import (
    BreakerState,
    BreakerView,
    CircuitBreaker,
    Clock,
    format_time,
)
from imagegate.errors import EngineFailed, EngineUnavailable, TaskError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RouteResult:
    engine: str
    images: list[OutputImage]


EngineStarted = Callable[[str], Awaitable[None]]


async def _nothing(_engine: str) -> None:
    return None


class Router:
    """Maps each model to its route: an ordered list of engines."""

    def __init__(
        self,
        routes: Mapping[str, Sequence[Engine]],
        default: Sequence[Engine] = (),
        *,
        breaker_failures: int = 5,
        breaker_cooldown: float = 30.0,
        clock: Clock = time.time,
    ) -> None:
        self._routes = {model: list(engines) for model, engines in routes.items()}
        self._default = list(default)
        # One breaker per engine name: an engine on several routes is one upstream.
        names = {e.name for engines in (*self._routes.values(), self._default) for e in engines}
        self._breakers = {
            name: CircuitBreaker(breaker_failures, breaker_cooldown, clock) for name in names
        }
        self._breaker_args = (breaker_failures, breaker_cooldown, clock)

    def breaker(self, engine: str) -> CircuitBreaker:
        if engine not in self._breakers:
            self._breakers[engine] = CircuitBreaker(*self._breaker_args)
        return self._breakers[engine]

    def breakers(self) -> dict[str, BreakerView]:
        """Each engine's breaker: closed, open (until when) or half-open, and its failures."""
        return {name: self._breakers[name].view() for name in sorted(self._breakers)}

    def route(self, model: str) -> list[Engine]:
        engines = self._routes.get(model, self._default)
        return [engine for engine in engines if engine.supports(model)]

    def can_serve(self, model: str) -> bool:
        return bool(self.route(model))

    def engines(self) -> list[Engine]:
        """Every engine on a route, the default route's included, once each."""
        found: dict[str, Engine] = {}
        for engines in (*self._routes.values(), self._default):
            for engine in engines:
                found.setdefault(engine.name, engine)
        return list(found.values())

    def models(self) -> list[str]:
        """The models with a route of their own (the others take the default route)."""
        return list(self._routes)

    def head(self, model: str) -> Engine | None:
        """The engine that serves the model's next task unless it fails: the first of its
        route whose circuit is not open (a half-open one may take the task as its probe)."""
        for engine in self.route(model):
            breaker = self._breakers.get(engine.name)
            if breaker is None or breaker.state is not BreakerState.OPEN:
                return engine
        return None

    def describe(self) -> dict[str, list[str]]:
        """``{model: [engine names]}`` for the configured routes, for logs and the admin API."""
        described = {m: [e.name for e in engines] for m, engines in self._routes.items()}
        if self._default:
            described["*"] = [e.name for e in self._default]
        return described

    async def run(self, job: EngineJob, on_engine: EngineStarted = _nothing) -> RouteResult:
        """Run ``job`` on its route's engines in order until one succeeds; ``on_engine`` is
        awaited with each engine's name as it starts (the task record shows who served it)."""
        engines = self.route(job.model)
        if not engines:
            raise EngineFailed(EngineUnavailable(f"no engine serves model {job.model}"), None)
        last: EngineFailed | None = None
        skipped: list[str] = []
        attempts: list[tuple[str, str]] = []
        failed_from: str | None = None  # the engine the next one to run takes over from
        for engine in engines:
            breaker = self.breaker(engine.name)
            if not breaker.acquire():
                skipped.append(engine.name)
                continue
            if failed_from is not None:
                metrics.ENGINE_FAILOVERS.labels(engine=failed_from).inc()
                failed_from = None
            try:
                await on_engine(engine.name)
                images = await engine.run(job)
            except TaskError as exc:
                metrics.ENGINE_FAILURES.labels(
                    engine=engine.name, retryable=str(exc.retryable).lower()
                ).inc()
                attempts.append((engine.name, exc.msg))
                last = EngineFailed(exc, engine.name, attempts)
                if not exc.retryable:
                    breaker.release()
                    raise last from exc
                breaker.failure()
                if breaker.open_until is not None:
                    log.warning(
                        "engine %s: circuit open until %s after %d consecutive failures",
                        engine.name, format_time(breaker.open_until), breaker.failures,
                    )
                log.warning("engine %s failed on task %s: %s", engine.name, job.task_id, exc.msg)
                failed_from = engine.name
                continue
            except BaseException:
                breaker.release()
                raise
            breaker.success()
            return RouteResult(engine.name, images)
        if last is None:
            raise EngineFailed(EngineUnavailable(self._all_open(job.model, skipped)), None)
        raise last

    def _all_open(self, model: str, engines: list[str]) -> str:
        parts = []
        for name in engines:
            view = self._breakers[name].view()
            until = view.open_until
            parts.append(
                f"{name} until {format_time(until)}" if until is not None
                else f"{name} (half-open, a probe is running)"
            )
        return (
            f"every engine of model {model} is out of rotation (circuit open after repeated"
            f" failures): {'; '.join(parts)}"
        )
