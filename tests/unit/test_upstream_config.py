"""Provider configuration: the ``[providers]`` tables checked with messages that name the
provider and field at fault, keys from the environment, and the engines they become."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.client.settings import KIE_UPLOAD_BASE_URL
from imagegate.engines.routing import build_router, pass_through_price
from imagegate.engines.upstream.config import IdeogramProvider, KieProvider, parse_providers
from imagegate.engines.upstream.pass_through import reported_cost_milli
from imagegate.settings import Settings


def test_a_kie_provider_with_its_defaults() -> None:
    providers = parse_providers({"kie": {"type": "upstream_kie", "api_key": "k"}})
    kie = providers["kie"]
    assert isinstance(kie, KieProvider)
    assert kie.base_url == "https://api.kie.ai"
    # Kie.ai serves uploads on another host; a reseller's base_url serves both.
    assert kie.uploads_at == KIE_UPLOAD_BASE_URL
    reseller = parse_providers(
        {"r": {"type": "upstream_kie", "api_key": "k", "base_url": "https://r.example/"}}
    )["r"]
    assert isinstance(reseller, KieProvider)
    assert reseller.base_url == reseller.uploads_at == "https://r.example"


def test_the_key_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEOGRAM_TEST_KEY", "from-env")
    providers = parse_providers(
        {"ideo": {"type": "upstream_ideogram", "api_key_env": "IDEOGRAM_TEST_KEY"}}
    )
    ideogram = providers["ideo"]
    assert isinstance(ideogram, IdeogramProvider)
    assert ideogram.key() == "from-env" and ideogram.endpoint == "v3"
    assert "from-env" not in repr(ideogram)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"type": "upstream_kie"}, "providers.p: needs api_key or api_key_env"),
        ({"type": "upstream_kie", "api_key_env": "NOT_SET_ANYWHERE_42"},
         "providers.p: api_key_env names 'NOT_SET_ANYWHERE_42', which is not set"),
        ({"type": "kie", "api_key": "k"}, "providers.p.type: must be one of upstream_kie"),
        ({"api_key": "k"}, "providers.p.type: must be one of"),
        ({"type": "upstream_kie", "api_key": "k", "base_url": "ftp://x"},
         "providers.p: base_url: Value error, must be an http(s) URL"),
        ({"type": "upstream_kie", "api_key": "k", "retries": -1}, "providers.p: retries"),
        ({"type": "upstream_kie", "api_key": "k", "colour": "red"}, "providers.p: colour"),
        ({"type": "upstream_ideogram", "api_key": "k", "endpoint": "v4"},
         "providers.p: endpoint"),
    ],
)
def test_a_bad_table_names_the_provider_and_field(table: dict[str, Any], said: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_providers({"p": table})
    assert said in str(caught.value)


@pytest.mark.parametrize("name", ["Kie", "1kie", "kie.ai", ""])
def test_a_provider_name_must_be_an_engine_name(name: str) -> None:
    with pytest.raises(ValueError, match="must be lower-case"):
        parse_providers({name: {"type": "upstream_kie", "api_key": "k"}})


def test_a_provider_may_not_shadow_a_built_in_engine() -> None:
    with pytest.raises(ValueError, match="'classic' is a built-in engine"):
        build_router(Settings(providers={"classic": {"type": "upstream_kie", "api_key": "k"}}))


def test_routes_name_providers_and_are_checked_against_what_each_serves() -> None:
    providers = {
        "kie": {"type": "upstream_kie", "api_key": "k"},
        "ideogram": {"type": "upstream_ideogram", "api_key": "k"},
    }
    router = build_router(Settings(
        providers=providers,
        routes={"ideogram/v3-reframe": ["ideogram", "kie", "classic"],
                "google/nano-banana": ["kie", "mock"]},
    ))
    described = router.describe()
    assert described["ideogram/v3-reframe"] == ["ideogram", "kie", "classic"]
    assert described["google/nano-banana"] == ["kie", "mock"]
    with pytest.raises(ValueError, match="engine 'ideogram' cannot serve model"):
        build_router(Settings(providers=providers, routes={"google/nano-banana": ["ideogram"]}))
    # GPT-4o Image and Flux Kontext are served through their own endpoints upstream.
    assert build_router(
        Settings(providers=providers, routes={"gpt4o-image": ["kie"]})
    ).describe()["gpt4o-image"] == ["kie"]
    with pytest.raises(ValueError, match=r"unknown engine 'nope'.*under \[providers\]"):
        build_router(Settings(providers=providers, routes={"google/nano-banana": ["nope"]}))


def test_a_provider_may_be_limited_to_the_models_it_sells() -> None:
    providers = {"r": {"type": "upstream_kie", "api_key": "k", "models": ["google/imagen4"]}}
    assert build_router(
        Settings(providers=providers, routes={"google/imagen4": ["r"]})
    ).describe()["google/imagen4"] == ["r"]
    with pytest.raises(ValueError, match="engine 'r' cannot serve model 'google/nano-banana'"):
        build_router(Settings(providers=providers, routes={"google/nano-banana": ["r"]}))


# ------------------------------------------------------------------ pass-through

UNCATALOGUED = "acme/brand-new-model"


def test_pass_through_is_off_by_default() -> None:
    kie = parse_providers({"kie": {"type": "upstream_kie", "api_key": "k"}})["kie"]
    assert isinstance(kie, KieProvider)
    assert not kie.pass_through and kie.pass_through_milli is None
    router = build_router(Settings(providers={"kie": {"type": "upstream_kie", "api_key": "k"}}))
    assert not router.can_serve(UNCATALOGUED) and "*" not in router.describe()
    assert pass_through_price(router, UNCATALOGUED) is None
    # Nor does any built-in engine take a model the catalog does not know: not even the mock.
    assert not build_router(Settings(mock=True)).can_serve(UNCATALOGUED)
    assert not build_router(Settings()).can_serve(UNCATALOGUED)


def test_pass_through_upstreams_are_the_route_of_uncatalogued_models_in_their_order() -> None:
    passing = {"pass_through": True, "pass_through_price_credits": 4.5}
    providers = {
        "reseller": {"type": "upstream_kie", "api_key": "k", **passing},
        "plain": {"type": "upstream_kie", "api_key": "k"},
        "kie": {"type": "upstream_kie", "api_key": "k", **passing,
                "pass_through_price": "upstream", "pass_through_price_credits": 9},
    }
    router = build_router(Settings(providers=providers))
    assert router.describe()["*"] == ["reseller", "kie"]
    assert [e.name for e in router.route(UNCATALOGUED)] == ["reseller", "kie"]
    # The route's head prices the task: 4.5 credits, in millicredits.
    assert pass_through_price(router, UNCATALOGUED) == 4500
    # Catalogued models keep their own routes and prices.
    assert [e.name for e in router.route("google/nano-banana")] == ["mock"]
    assert pass_through_price(router, "google/nano-banana") is None
    # --mock puts the catalog on the mock engine and passes nothing through.
    mocked = build_router(Settings(providers=providers, mock=True))
    assert not mocked.can_serve(UNCATALOGUED)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"type": "upstream_ideogram", "api_key": "k", "pass_through": True},
         "providers.p.pass_through: only an upstream_kie provider can pass uncatalogued models"
         " through; 'p' is upstream_ideogram"),
        ({"type": "upstream_ideogram", "api_key": "k", "pass_through_price_credits": 3},
         "providers.p.pass_through_price_credits: only an upstream_kie provider"),
        ({"type": "upstream_kie", "api_key": "k", "pass_through": True},
         "providers.p: pass_through_price_credits: is required with pass_through = true"),
        ({"type": "upstream_kie", "api_key": "k", "pass_through": True,
          "pass_through_price_credits": -1},
         "providers.p: pass_through_price_credits: Input should be greater than or equal to 0"),
        ({"type": "upstream_kie", "api_key": "k", "pass_through": True,
          "pass_through_price_credits": 1, "pass_through_price": "cheapest"},
         "providers.p: pass_through_price: Input should be 'fixed' or 'upstream'"),
    ],
)
def test_a_bad_pass_through_names_the_field(table: dict[str, Any], said: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_providers({"p": table})
    assert said in str(caught.value)


@pytest.mark.parametrize(
    ("record", "milli"),
    [
        ({"consumeCredits": 2.5}, 2500),
        ({"consumeCredits": 100}, 100_000),
        ({"consumeCredits": "12"}, 12_000),
        ({"consumeCredits": 0}, 0),
        ({}, None),
        ({"consumeCredits": None}, None),
        ({"consumeCredits": -3}, None),
        ({"consumeCredits": "a lot"}, None),
        ({"consumeCredits": True}, None),
        ({"consumeCredits": float("nan")}, None),
    ],
)
def test_the_cost_an_upstream_reports(record: dict[str, Any], milli: int | None) -> None:
    assert reported_cost_milli(record) == milli
