"""Issue 6's end-to-end test: `imagegate serve` with a TOML configuration that routes
ideogram/v3-reframe to [Ideogram, Kie]. Ideogram (a fake built from spec 003) is failing, so
the task fails over to the Kie upstream: a second `imagegate serve` in mock mode. All of it is
real processes and real HTTP on loopback."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from fake_ideogram import FAKE_IDEOGRAM_KEY, FakeIdeogram, Scripted

pytestmark = pytest.mark.acceptance
ADMIN_KEY = "test-admin-key-providers"

CONFIG = """
[providers.ideogram]
type = "upstream_ideogram"
base_url = "{ideogram}"
api_key_env = "TEST_IDEOGRAM_KEY"
retries = 0

[providers.kie]
type = "upstream_kie"
base_url = "{kie}"
api_key_env = "TEST_KIE_KEY"
poll_scale = 0.1

[routes]
"ideogram/v3-reframe" = ["ideogram", "kie"]
"""


def test_a_reframe_fails_over_from_ideogram_to_a_kie_upstream(
    servers: Any, make_api: Any, receiver_factory: Any, tmp_path: Path
) -> None:
    upstream = servers.start()  # IMAGEGATE_MOCK=1: the Kie-compatible upstream
    upstream_key = upstream.printed_key()
    assert upstream_key, upstream.output()
    upstream_api = make_api(upstream, upstream_key)
    upstream_before = upstream_api.balance()

    with FakeIdeogram() as ideogram:
        ideogram.script = [Scripted(500, {"error": "Internal Server Error"})] * 10
        config = tmp_path / "imagegate.toml"
        config.write_text(CONFIG.format(ideogram=ideogram.base_url, kie=upstream.base_url))
        server = servers.start(env={
            "IMAGEGATE_MOCK": "0",
            "IMAGEGATE_CONFIG": str(config),
            "TEST_IDEOGRAM_KEY": FAKE_IDEOGRAM_KEY,
            "TEST_KIE_KEY": upstream_key,
            "IMAGEGATE_ADMIN_KEY": ADMIN_KEY,
        })
        output = server.output()
        assert "route:    ideogram/v3-reframe -> ideogram, kie" in output, output
        key = server.printed_key()
        assert key, output
        host = receiver_factory()
        host.serve_image("/photo.png", (320, 240))
        api = make_api(server, key)
        try:
            before = api.balance()
            task_id = api.create_ok({
                "model": "ideogram/v3-reframe",
                "input": {"image_url": host.url("/photo.png"), "image_size": "portrait_16_9",
                          "rendering_speed": "TURBO", "num_images": "2"},
            })
            record = api.wait_state(task_id, timeout=60)
            assert record["state"] == "success", record
            assert record["engine"] == "kie"
            urls = json.loads(record["resultJson"])["resultUrls"]
            # Re-hosted: the links are this server's, not the upstream's.
            assert len(urls) == 2 and all(u.startswith(server.base_url) for u in urls)
            images = [httpx.get(url, timeout=15.0) for url in urls]
            charged = before - api.balance()
            # The Ideogram endpoint of this server goes the same way; its exact resolution
            # comes back from the Kie upstream fitted to size.
            photo = host.responses["/photo.png"][2]
            ideogram_answer = httpx.post(
                f"{server.base_url}/v1/ideogram-v3/reframe",
                headers={"Api-Key": key},
                files={"image": ("photo.png", photo, "image/png")},
                data={"resolution": "1280x704", "rendering_speed": "TURBO"},
                timeout=60.0,
            )
            routes = httpx.get(
                f"{server.base_url}/api/admin/routes",
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10.0,
            ).json()["data"]
        finally:
            api.close()
        # Ideogram was asked first, each time, with the image's bytes.
        tried = ideogram.answered(500)
        assert len(tried) == 2
        assert tried[0].fields["resolution"] == "736x1312"
        assert tried[0].fields["rendering_speed"] == "TURBO"

    for response in images:
        assert response.status_code == 200
        image = Image.open(io.BytesIO(response.content))
        assert image.size == (576, 1024)
        assert "MOCK" in image.info.get("Comment", "").upper()  # made by the upstream's mock
    # Charged once here, at the catalog's TURBO price for two images, whatever the failover.
    assert charged == pytest.approx(2 * 3.5)
    # The operator's account upstream paid for the one upstream task and one for the
    # Ideogram endpoint's task.
    assert upstream_api.balance() < upstream_before
    upstream_api.close()

    assert ideogram_answer.status_code == 200, ideogram_answer.text
    [result] = ideogram_answer.json()["data"]
    assert result["resolution"] == "1280x704"
    fitted = Image.open(io.BytesIO(httpx.get(result["url"], timeout=15.0).content))
    assert fitted.size == (1280, 704)

    assert routes["routes"]["ideogram/v3-reframe"] == ["ideogram", "kie"]
    assert routes["engines"]["ideogram"]["failures"] == 2
    assert routes["providers"]["kie"] == {"type": "upstream_kie", "baseUrl": upstream.base_url}

