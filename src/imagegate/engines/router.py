"""Routes: the ordered engines that serve a model, and failover between them.

The router tries a route's engines in order and moves to the next only when an engine fails in
a way another engine could fix (``TaskError.retryable``). An input that no engine can use
(``InputRejected``) ends the task at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imagegate.engines.base import Engine, EngineJob, OutputImage
from imagegate.errors import EngineUnavailable, TaskError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RouteResult:
    engine: str
    images: list[OutputImage]


class EngineFailed(Exception):
    """Every engine of the route failed; ``error`` is the last one's, ``engine`` its name."""

    def __init__(self, error: TaskError, engine: str | None) -> None:
        super().__init__(error.msg)
        self.error = error
        self.engine = engine


class Router:
    """Maps each model to its route: an ordered list of engines."""

    def __init__(self, routes: Mapping[str, Sequence[Engine]], default: Sequence[Engine] = ()):
        self._routes = {model: list(engines) for model, engines in routes.items()}
        self._default = list(default)

    def route(self, model: str) -> list[Engine]:
        engines = self._routes.get(model, self._default)
        return [engine for engine in engines if engine.supports(model)]

    def can_serve(self, model: str) -> bool:
        return bool(self.route(model))

    def describe(self) -> dict[str, list[str]]:
        """``{model: [engine names]}`` for the configured routes, for logs and the admin API."""
        described = {m: [e.name for e in engines] for m, engines in self._routes.items()}
        if self._default:
            described["*"] = [e.name for e in self._default]
        return described

    async def run(self, job: EngineJob) -> RouteResult:
        engines = self.route(job.model)
        if not engines:
            raise EngineFailed(EngineUnavailable(f"no engine serves model {job.model}"), None)
        last: EngineFailed | None = None
        for engine in engines:
            try:
                return RouteResult(engine.name, await engine.run(job))
            except TaskError as exc:
                last = EngineFailed(exc, engine.name)
                if not exc.retryable:
                    raise last from exc
                log.warning("engine %s failed on task %s: %s", engine.name, job.task_id, exc.msg)
        assert last is not None
        raise last
