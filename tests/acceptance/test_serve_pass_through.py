"""Issue 19, point 7, as an operator runs it: `imagegate serve` with a TOML file that turns
pass-through on for a Kie route (a fake of Kie's Market API, tests/fake_kie.py, on loopback);
a model the catalog does not know is created over real HTTP, forwarded as sent, re-hosted, and
shown by `imagegate task show` like any task."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_kie import FAKE_KIE_KEY, FakeKieMarket

pytestmark = pytest.mark.acceptance

MODEL = "seedream/9-preview"
CONFIG = """
[providers.kie]
type = "upstream_kie"
base_url = "{kie}"
api_key_env = "TEST_KIE_KEY"
poll_scale = 0.1
pass_through = true
pass_through_price_credits = 3
"""


def test_serve_passes_an_uncatalogued_model_through_and_the_cli_shows_it(
    servers: Any, make_api: Any, imagegate_command: Path, tmp_path: Path
) -> None:
    with FakeKieMarket() as market:
        config = tmp_path / "imagegate.toml"
        config.write_text(CONFIG.format(kie=market.base_url))
        server = servers.start(env={
            "IMAGEGATE_MOCK": "0", "IMAGEGATE_CONFIG": str(config), "TEST_KIE_KEY": FAKE_KIE_KEY,
        })
        assert "route:    * -> kie" in server.output(), server.output()
        key = server.printed_key()
        assert key, server.output()
        api = make_api(server, key)
        try:
            before = api.balance()
            body = {"model": MODEL, "input": {"prompt": "a fox", "resolution": "2K", "n": 2}}
            task_id = api.create_ok(body)
            record = api.wait_state(task_id, timeout=30)
            assert record["state"] == "success", record
            urls = json.loads(record["resultJson"])["resultUrls"]
            assert urls and all(url.startswith(server.base_url) for url in urls)
            assert httpx.get(urls[0], timeout=15).content.startswith(b"\x89PNG")
            assert api.balance() == pytest.approx(before - 3)
        finally:
            api.close()
        assert market.created == [body]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGEGATE_")}
    env.update(IMAGEGATE_BASE_URL=server.base_url, IMAGEGATE_API_KEY=key)
    shown = subprocess.run(
        [str(imagegate_command), "task", "show", task_id, "--json"], capture_output=True,
        text=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False,
    )
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["state"] == "success" and document["task"]["model"] == MODEL
    assert json.loads(document["task"]["param"]) == body
