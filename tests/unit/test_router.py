"""The router: engines tried in order, failover only on errors another engine could fix."""

from __future__ import annotations

import re

import pytest

from imagegate.engines.base import EngineJob, OutputImage
from imagegate.engines.router import Router
from imagegate.errors import (
    EngineFailed,
    EngineUnavailable,
    GenerationFailed,
    InputRejected,
    TaskError,
)

MODEL = "ideogram/v3-reframe"


class ScriptedEngine:
    """A test engine that raises a given error, or answers one tiny image."""

    def __init__(self, name: str, error: TaskError | None = None, models=(MODEL,)) -> None:
        self.name = name
        self.error = error
        self.models = set(models)
        self.calls = 0

    def supports(self, model: str) -> bool:
        return model in self.models

    async def run(self, job: EngineJob) -> list[OutputImage]:
        self.calls += 1
        if self.error:
            raise self.error
        return [OutputImage(b"img", "image/png", 1, 1)]


def job() -> EngineJob:
    return EngineJob("t1", MODEL, {})


async def test_first_engine_that_succeeds_wins() -> None:
    first, second = ScriptedEngine("a"), ScriptedEngine("b")
    result = await Router({MODEL: [first, second]}).run(job())
    assert result.engine == "a" and first.calls == 1 and second.calls == 0


async def test_fails_over_on_retryable_errors() -> None:
    down = ScriptedEngine("down", EngineUnavailable("out of memory"))
    broken = ScriptedEngine("broken", GenerationFailed("nsfw"))
    good = ScriptedEngine("good")
    result = await Router({MODEL: [down, broken, good]}).run(job())
    assert result.engine == "good" and down.calls == broken.calls == 1


async def test_never_fails_over_on_rejected_input() -> None:
    bad = ScriptedEngine("a", InputRejected("input.image_url: not an image"))
    spare = ScriptedEngine("b")
    with pytest.raises(EngineFailed) as caught:
        await Router({MODEL: [bad, spare]}).run(job())
    assert caught.value.engine == "a" and caught.value.error.fail_code == "422"
    assert spare.calls == 0


async def test_all_engines_failing_reports_the_last_error() -> None:
    a = ScriptedEngine("a", EngineUnavailable("a is down"))
    b = ScriptedEngine("b", GenerationFailed("b failed"))
    with pytest.raises(EngineFailed) as caught:
        await Router({MODEL: [a, b]}).run(job())
    assert caught.value.engine == "b" and caught.value.error.msg == "b failed"
    assert caught.value.error.fail_code == "501"


async def test_engines_that_do_not_support_the_model_are_skipped() -> None:
    other = ScriptedEngine("other", models=("qwen/image-edit",))
    router = Router({MODEL: [other]})
    assert not router.can_serve(MODEL)
    with pytest.raises(EngineFailed, match="no engine serves"):
        await router.run(job())
    assert other.calls == 0


def test_describe_lists_routes_in_order() -> None:
    router = Router({MODEL: [ScriptedEngine("a"), ScriptedEngine("b")]})
    assert router.describe() == {MODEL: ["a", "b"]}


@pytest.mark.parametrize("mock", [False, True])
def test_built_routes_classic_for_reframe_and_upscales_mock_for_the_rest_or_all_mock(
    mock: bool,
) -> None:
    from imagegate.catalog import all_models
    from imagegate.runtime import build_router
    from imagegate.settings import Settings

    routes = build_router(Settings(mock=mock)).describe()
    assert set(routes) == {spec.name for spec in all_models()}
    for model in (MODEL, "nano-banana-upscale", "topaz/image-upscale", "recraft/crisp-upscale"):
        assert routes.pop(model) == (["mock"] if mock else ["classic"])
    assert all(engines == ["mock"] for engines in routes.values())


def built(**settings: object) -> dict[str, list[str]]:
    from imagegate.runtime import build_router
    from imagegate.settings import Settings

    return build_router(Settings(**settings)).describe()  # type: ignore[arg-type]


def test_configured_routes_override_the_defaults_per_model() -> None:
    routes = built(routes={MODEL: ["classic", "mock"], "qwen/image-edit": ["mock"]})
    assert routes[MODEL] == ["classic", "mock"]
    assert routes["qwen/image-edit"] == ["mock"]
    assert routes == {**built(), MODEL: ["classic", "mock"]}


def test_mock_mode_puts_every_model_on_mock_whatever_the_routes() -> None:
    routes = built(mock=True, routes={MODEL: ["classic", "mock"]})
    assert all(engines == ["mock"] for engines in routes.values())


def test_built_router_shares_one_engine_per_name_and_takes_breaker_settings() -> None:
    from imagegate.runtime import build_router
    from imagegate.settings import Settings

    settings = Settings(
        routes={MODEL: ["mock", "classic"]}, breaker_failures=2, breaker_cooldown_seconds=9
    )
    router = build_router(settings)
    assert router.route(MODEL)[0] is router.route("qwen/image-edit")[0]
    assert set(router.breakers()) == {"classic", "mock"}
    breaker = router.breaker("mock")
    assert breaker.threshold == 2 and breaker.cooldown == 9


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ({MODEL: ["nope"]}, "unknown engine 'nope'; known engines: classic, diffusers, mock"),
        ({"no/such-model": ["mock"]}, "unknown model 'no/such-model'"),
        ({"qwen/image-edit": ["classic"]}, "engine 'classic' cannot serve model 'qwen/image-edit'"),
    ],
)
def test_bad_routes_are_startup_errors(routes: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        built(routes=routes)
    with pytest.raises(ValueError, match=re.escape(message)):
        built(routes=routes, mock=True)  # checked in mock mode too


async def test_the_failure_of_a_route_tells_every_attempt_and_each_engine_is_announced() -> None:
    down = ScriptedEngine("ideogram", EngineUnavailable("upstream ideogram: answered HTTP 500"))
    classic = ScriptedEngine("classic", GenerationFailed("ran out of time"))
    started: list[str] = []

    async def on_engine(name: str) -> None:
        started.append(name)

    with pytest.raises(EngineFailed) as caught:
        await Router({MODEL: [down, classic]}).run(job(), on_engine)
    assert started == ["ideogram", "classic"]
    assert caught.value.engine == "classic" and caught.value.error.fail_code == "501"
    assert caught.value.msg == (
        "upstream ideogram: answered HTTP 500; then classic: ran out of time"
    )


async def test_a_single_attempt_keeps_its_own_message() -> None:
    with pytest.raises(EngineFailed) as caught:
        await Router({MODEL: [ScriptedEngine("a", GenerationFailed("nope"))]}).run(job())
    assert caught.value.msg == "nope"
