"""``imagegate routes``: each model's route from the configuration, without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagegate.cli.main import app
from imagegate.runtime import build_router
from imagegate.settings import Settings

MODEL = "ideogram/v3-reframe"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["routes", *args])
    return result.exit_code, result.stdout, result.stderr


def test_prints_one_line_per_model(tmp_path: Path) -> None:
    code, out, _ = invoke("--data-dir", str(tmp_path))
    assert code == 0
    expected = build_router(Settings()).describe()
    lines = out.splitlines()
    assert lines == sorted(f"{m} -> {', '.join(e)}" for m, e in expected.items())
    assert f"{MODEL} -> classic" in lines
    assert not (tmp_path / "imagegate.db").exists()  # no server, no database


def test_reads_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text(f'[routes]\n"{MODEL}" = ["classic", "mock"]\n')
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(config))
    code, out, _ = invoke()
    assert code == 0 and f"{MODEL} -> classic, mock" in out.splitlines()
    monkeypatch.setenv("IMAGEGATE_ROUTES", json.dumps({"qwen/image-edit": ["mock"]}))
    code, out, _ = invoke("--json")
    routes = json.loads(out)
    # The sources merge per model: the environment's models over the file's, the rest kept.
    assert code == 0 and routes[MODEL] == ["classic", "mock"]
    assert routes["qwen/image-edit"] == ["mock"]


def test_mock_flag() -> None:
    code, out, _ = invoke("--mock", "--json")
    assert code == 0 and all(engines == ["mock"] for engines in json.loads(out).values())


def test_a_bad_route_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_ROUTES", json.dumps({MODEL: ["upstream_nowhere"]}))
    code, out, err = invoke()
    assert code == 2 and out == ""
    assert "configuration error" in err and "unknown engine 'upstream_nowhere'" in err


def test_serve_refuses_a_bad_route_before_listening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGEGATE_ROUTES", json.dumps({"qwen/image-edit": ["classic"]}))
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "engine 'classic' cannot serve model 'qwen/image-edit'" in result.stderr
    assert "listening" not in result.stdout


def test_pass_through_upstreams_show_as_the_route_of_uncatalogued_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text(
        '[providers.kie]\ntype = "upstream_kie"\napi_key = "k"\npass_through = true\n'
        "pass_through_price_credits = 5\n"
    )
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(config))
    code, out, _ = invoke()
    assert code == 0 and "* -> kie" in out.splitlines()
    # Off by default, and refused where it cannot work, naming the field.
    config.write_text('[providers.ideo]\ntype = "upstream_ideogram"\napi_key = "k"\n'
                      "pass_through = true\n")
    code, out, err = invoke()
    assert code == 2 and "providers.ideo.pass_through: only an upstream_kie provider" in err
