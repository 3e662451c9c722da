"""The engines a route may name: engine name → factory(settings, cpu).

Routes in the configuration (``routes`` setting) name engines by these keys. A new engine
(``upstream_kie``, ``upstream_ideogram``, ``diffusers``) is one entry here plus its module;
``build_router`` checks every configured name against this table.
"""

from __future__ import annotations

from collections.abc import Callable

from imagegate.engines.base import Engine
from imagegate.engines.cpu import CpuPool
from imagegate.settings import Settings

EngineFactory = Callable[[Settings, CpuPool], Engine]


def _mock(settings: Settings, cpu: CpuPool) -> Engine:
    from imagegate.engines.mock import MockEngine

    return MockEngine(settings.mock_latency, settings.mock_fail_rate, cpu)


def _classic(settings: Settings, cpu: CpuPool) -> Engine:
    from imagegate.engines.classic.engine import ClassicEngine

    return ClassicEngine(cpu, time_budget=settings.classic_time_budget_seconds)


ENGINES: dict[str, EngineFactory] = {
    "classic": _classic,
    "mock": _mock,
    # Upstream providers (issue 6) land here: "upstream_kie", "upstream_ideogram".
}


def engine_names() -> list[str]:
    return sorted(ENGINES)


class EngineSet:
    """Builds each named engine once, on first use, so routes share one instance per name."""

    def __init__(self, settings: Settings, cpu: CpuPool) -> None:
        self.settings = settings
        self.cpu = cpu
        self._built: dict[str, Engine] = {}

    def get(self, name: str) -> Engine:
        if name not in self._built:
            factory = ENGINES.get(name)
            if factory is None:
                raise ValueError(
                    f"unknown engine {name!r}; known engines: {', '.join(engine_names())}"
                )
            self._built[name] = factory(self.settings, self.cpu)
        return self._built[name]
