"""Provider configuration: the ``[providers]`` tables checked with messages that name the
provider and field at fault, keys from the environment, and the engines they become."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.client.settings import KIE_UPLOAD_BASE_URL
from imagegate.engines.routing import build_router
from imagegate.engines.upstream.config import IdeogramProvider, KieProvider, parse_providers
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
