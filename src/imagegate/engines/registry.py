"""The engines a route may name: the built-in ones, and the operator's providers.

Built-in engines (``classic``, ``mock``, ``diffusers``) are one factory each here. A
provider (``[providers.NAME]`` in the configuration, ``upstream/config.py``) is an engine
named NAME of its ``type``: ``upstream_kie`` or ``upstream_ideogram``. ``build_router`` checks
every name a route lists against both.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from imagegate.engines.base import Engine
from imagegate.engines.cpu import CpuPools
from imagegate.engines.upstream.config import (
    IdeogramProvider,
    KieProvider,
    parse_providers,
)
from imagegate.engines.upstream.events import UpstreamEvents
from imagegate.outbound import UrlPolicy
from imagegate.settings import Settings


@dataclass(frozen=True)
class EngineContext:
    """What building an engine may need: the settings, the CPU pools (one per engine that
    needs the CPU), the URL policy that result downloads go through, the hub upstream
    callbacks arrive at, and imagegate's public URL callbacks are sent to."""

    settings: Settings
    cpu: CpuPools
    policy: UrlPolicy
    events: UpstreamEvents = field(default_factory=lambda: UpstreamEvents(secrets.token_bytes(32)))

    @classmethod
    def offline(cls, settings: Settings) -> EngineContext:
        """For building routes without running them (``imagegate routes``)."""
        return cls(settings, CpuPools(processes=0), UrlPolicy(settings.url_allowlist))


EngineFactory = Callable[[EngineContext], Engine]


def _mock(context: EngineContext) -> Engine:
    from imagegate.engines.mock import MockEngine

    settings = context.settings
    # A pool of its own, of one process: its renders are short and mostly cached, and must
    # not wait behind the classic engine's reframes.
    cpu = context.cpu.pool("mock", most=1)
    return MockEngine(settings.mock_latency, settings.mock_fail_rate, cpu)


def _classic(context: EngineContext) -> Engine:
    from imagegate.engines.classic.engine import ClassicEngine

    return ClassicEngine(
        context.cpu.pool("classic"), time_budget=context.settings.classic_time_budget_seconds
    )


def _diffusers(context: EngineContext) -> Engine:
    # Only the configuration is read here (no torch): every process that builds routes builds
    # this engine; the weights are checked and loaded when a worker starts (``start``).
    from imagegate.engines.diffusers.config import check_installed, parse_diffusers
    from imagegate.engines.diffusers.engine import DiffusersEngine

    config = parse_diffusers(context.settings.engines.get("diffusers"))
    check_installed()
    return DiffusersEngine(config)


ENGINES: dict[str, EngineFactory] = {
    "classic": _classic,
    "diffusers": _diffusers,
    "mock": _mock,
}


def _upstream(name: str, provider: KieProvider | IdeogramProvider, context: EngineContext
              ) -> Engine:
    if isinstance(provider, KieProvider):
        from imagegate.engines.upstream.kie import KieUpstream

        return KieUpstream(
            name, provider, policy=context.policy, events=context.events,
            public_url=context.settings.public_url,
        )
    from imagegate.engines.upstream.ideogram import IdeogramUpstream

    return IdeogramUpstream(name, provider, policy=context.policy)


def engine_names(providers: Mapping[str, object] | None = None) -> list[str]:
    return sorted({*ENGINES, *(providers or {})})


class EngineSet:
    """Builds each named engine once, on first use, so routes share one instance per name."""

    def __init__(self, context: EngineContext) -> None:
        self.context = context
        self.providers = parse_providers(context.settings.providers, reserved=tuple(ENGINES))
        self._built: dict[str, Engine] = {}

    def get(self, name: str) -> Engine:
        if name not in self._built:
            factory = ENGINES.get(name)
            if factory is not None:
                self._built[name] = factory(self.context)
            elif name in self.providers:
                self._built[name] = _upstream(name, self.providers[name], self.context)
            else:
                raise ValueError(
                    f"unknown engine {name!r}; known engines: "
                    f"{', '.join(engine_names(self.providers))}"
                    " (an upstream is an engine once it is configured under [providers])"
                )
        return self._built[name]

    def passing_through(self) -> list[Engine]:
        """The ``upstream_kie`` providers with ``pass_through`` on, in the order configured:
        the route of every model the catalog does not know (upstream/pass_through.py)."""
        return [
            self.get(name) for name, provider in self.providers.items()
            if isinstance(provider, KieProvider) and provider.pass_through
        ]

    def describe_providers(self) -> dict[str, dict[str, str]]:
        """``{name: {type, baseUrl}}`` — never the key."""
        return {
            name: {"type": provider.type, "baseUrl": provider.base_url}
            for name, provider in sorted(self.providers.items())
        }

    async def start(self, models: Sequence[str]) -> None:
        """Let built engines that keep models in memory (diffusers) load what serves
        ``models`` (every model when empty), before the worker claims a task."""
        for engine in self._built.values():
            start = getattr(engine, "start", None)
            if start is not None:
                await start(models)

    async def aclose(self) -> None:
        """Close what built engines hold open (upstream engines' HTTP connections)."""
        for engine in self._built.values():
            close = getattr(engine, "aclose", None)
            if close is not None:
                await close()
