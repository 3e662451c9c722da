"""Settings: flags beat environment variables, which beat the TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegate.settings import load_settings


def test_embedded_defaults() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("imagegate-data")
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("imagegate-data/imagegate.db")
    assert settings.create_rate == "20/10s" and settings.query_rate == "10/1s"
    assert settings.resolved_public_url == "http://127.0.0.1:8000"


def test_flags_beat_env_beat_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text('port = 9001\nhost = "0.0.0.0"\nmock_latency = 0.5\ncreate_rate = "1/1s"\n')
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(config))
    monkeypatch.setenv("IMAGEGATE_PORT", "9002")
    monkeypatch.setenv("IMAGEGATE_MOCK_LATENCY", "0.25")
    settings = load_settings(port=9003, host=None)
    assert settings.port == 9003  # flag
    assert settings.mock_latency == 0.25  # env over TOML
    assert settings.create_rate == "1/1s"  # TOML over default
    assert settings.host == "0.0.0.0"  # a flag left out (None) does not override
    assert settings.resolved_public_url == "http://127.0.0.1:9003"


def test_allowlist_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_URL_ALLOWLIST", "127.0.0.1, 10.0.0.0/8,minio.internal")
    assert load_settings().url_allowlist == ["127.0.0.1", "10.0.0.0/8", "minio.internal"]


def test_missing_named_config_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError, match=r"nope\.toml"):
        load_settings()


def test_out_of_range_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_MOCK_FAIL_RATE", "2")
    with pytest.raises(ValueError, match="mock_fail_rate"):
        load_settings()


def test_classic_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().classic_time_budget_seconds == 120
    monkeypatch.setenv("IMAGEGATE_CLASSIC_TIME_BUDGET_SECONDS", "0.5")
    with pytest.raises(ValueError, match="classic_time_budget_seconds"):
        load_settings()


def test_routes_and_breaker_defaults() -> None:
    settings = load_settings()
    assert settings.routes == {}
    assert settings.breaker_failures == 5 and settings.breaker_cooldown_seconds == 30


def test_routes_from_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text(
        'breaker_failures = 2\nbreaker_cooldown_seconds = 7.5\n'
        '[routes]\n"ideogram/v3-reframe" = ["classic", "mock"]\n"qwen/image-edit" = ["mock"]\n'
    )
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(config))
    settings = load_settings()
    assert settings.routes == {
        "ideogram/v3-reframe": ["classic", "mock"], "qwen/image-edit": ["mock"]
    }
    assert settings.breaker_failures == 2 and settings.breaker_cooldown_seconds == 7.5


def test_routes_from_env_json_beat_the_toml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text('[routes]\n"ideogram/v3-reframe" = ["classic", "mock"]\n')
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(config))
    monkeypatch.setenv("IMAGEGATE_ROUTES", '{"ideogram/v3-reframe": ["classic"]}')
    assert load_settings().routes == {"ideogram/v3-reframe": ["classic"]}


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("{not json", "routes"),
        ('["classic"]', "routes"),
        ('{"ideogram/v3-reframe": "classic"}', "routes"),
        ('{"ideogram/v3-reframe": []}', "names no engine"),
        ('{"ideogram/v3-reframe": ["mock", "mock"]}', "engine twice"),
    ],
)
def test_bad_routes_are_refused(monkeypatch: pytest.MonkeyPatch, value: str, match: str) -> None:
    monkeypatch.setenv("IMAGEGATE_ROUTES", value)
    with pytest.raises(ValueError, match=match):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"), [("BREAKER_FAILURES", "0"), ("BREAKER_COOLDOWN_SECONDS", "0")]
)
def test_breaker_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"IMAGEGATE_{name}", value)
    with pytest.raises(ValueError, match=name.lower()):
        load_settings()
