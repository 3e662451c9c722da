"""Every model's route, built from the settings: which engines serve it, in failover order.

The runtime builds the router once at start; ``imagegate routes`` builds it offline to show it.
"""

from __future__ import annotations

from imagegate.catalog import all_models
from imagegate.engines.base import Engine
from imagegate.engines.registry import EngineContext, EngineSet
from imagegate.engines.router import Router
from imagegate.settings import Settings


def build_router(settings: Settings, engines: EngineSet | None = None) -> Router:
    """Every model's route. By default the classic engine for the models it reframes and the
    mock engine for the others until their engines (diffusers, upstream) land; the ``routes``
    setting replaces the default route of each model it names; ``mock`` puts every model on
    the mock engine. A model the catalog does not know takes the route of the upstreams with
    ``pass_through`` on (``"*"`` in ``describe()``), none unless an operator configured one.
    A route naming an unknown model or engine, or an engine that cannot serve the model, is a
    ``ValueError`` that says which, as is a provider misconfigured. Without
    ``engines`` the engines are built offline (for ``imagegate routes``)."""
    engines = engines or EngineSet(EngineContext.offline(settings))
    models = [spec.name for spec in all_models()]
    configured: dict[str, list[Engine]] = {}
    for model, names in settings.routes.items():
        if model not in models:
            raise ValueError(f"routes: unknown model {model!r}; known models: {', '.join(models)}")
        route = []
        for name in names:
            try:
                engine = engines.get(name)
            except ValueError as exc:
                raise ValueError(f"routes: model {model!r}: {exc}") from None
            if not engine.supports(model):
                raise ValueError(f"routes: engine {name!r} cannot serve model {model!r}")
            route.append(engine)
        configured[model] = route
    mock = engines.get("mock")
    routes: dict[str, list[Engine]] = {model: [mock] for model in models}
    # The route of the models the catalog does not know: pass-through upstreams only, never
    # the mock engine (so an unknown model stays a 422 unless an operator turned one on).
    passing: list[Engine] = []
    if not settings.mock:
        classic = engines.get("classic")
        # No mock behind it: a failed reframe must fail, not succeed with a test image.
        routes.update({model: [classic] for model in models if classic.supports(model)})
        routes.update(configured)
        passing = engines.passing_through()
    return Router(
        routes,
        passing,
        breaker_failures=settings.breaker_failures,
        breaker_cooldown=settings.breaker_cooldown_seconds,
    )


def pass_through_price(router: Router, model: str) -> int | None:
    """The millicredits a task of ``model`` is charged at create when the catalog does not
    know it and a pass-through route serves it: the price of the upstream that heads the route
    (with ``pass_through_price = "upstream"``, the hold); None when no route passes it through."""
    engines = router.route(model)
    price = getattr(engines[0], "pass_through_price", None) if engines else None
    return price(model) if price is not None else None
