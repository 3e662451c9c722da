"""The fake-upstream harness (tests/upstreams.py) over real sockets.

A second imagegate in mock mode behind a FaultProxy must carry a task from createTask to a
downloadable PNG, and each fault rule must do what it says, since the upstream engines' tests
rely on both.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from upstreams import (
    FaultProxy,
    ServedApp,
    UpstreamImagegate,
    closed_port_url,
    record_state,
    rewrite_result_urls,
)

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"
NANO_BANANA = {"model": "google/nano-banana", "input": {"prompt": "a cat"}}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamImagegate]:
    # One upstream for the module: its start (database, worker) is the slow part.
    with UpstreamImagegate(tmp_path_factory.mktemp("upstream") / "data") as served:
        yield served


@pytest.fixture
def proxy(upstream: UpstreamImagegate) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.base_url) as served:
        yield served


async def create(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post(CREATE, json=NANO_BANANA, headers={"Authorization": f"Bearer {key}"})


async def poll(
    client: httpx.AsyncClient, key: str, task_id: str, timeout: float = 10.0
) -> dict[str, Any]:
    """recordInfo's data once the task is in a final state."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(
            RECORD, params={"taskId": task_id}, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if data["state"] in ("success", "fail"):
            return data
        assert time.monotonic() < deadline, f"task stuck in {data['state']}"
        await asyncio.sleep(0.05)


def result_urls(data: dict[str, Any]) -> list[str]:
    urls: list[str] = json.loads(data["resultJson"])["resultUrls"]
    return urls


async def test_a_task_goes_from_create_to_a_png_through_the_proxy(
    upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    balance = upstream.balance()
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        created = await create(client, upstream.api_key)
        assert created.status_code == 200 and created.json()["code"] == 200
        task_id = created.json()["data"]["taskId"]
        data = await poll(client, upstream.api_key, task_id)
        assert data["state"] == "success" and data["model"] == "google/nano-banana"
        [url] = result_urls(data)
        # The upstream's public_url is its real address: the URL works as handed out ...
        assert url.startswith(upstream.base_url + "/files/")
        direct = await client.get(url)
        # ... and through the proxy, byte for byte.
        proxied = await client.get(proxy.through(url))
    assert direct.status_code == 200 and proxied.status_code == 200
    assert proxied.content == direct.content
    assert proxied.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(proxied.content)).format == "PNG"
    assert upstream.balance() < balance  # the task was charged
    # Every request was recorded, with its headers and body as sent.
    [sent] = proxy.requests_to("createTask")
    assert sent.method == "POST" and sent.path == CREATE
    assert sent.headers["authorization"] == f"Bearer {upstream.api_key}"
    assert json.loads(sent.body) == NANO_BANANA
    assert all(r.query == f"taskId={task_id}" for r in proxy.requests_to("recordInfo"))
    assert len(proxy.requests_to("/files/", method="GET")) == 1


async def test_an_answer_rule_replaces_the_upstream_then_runs_out(
    upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.answer("createTask", 500, {"code": 500, "msg": "internal error"}, times=1)
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        first = await create(client, upstream.api_key)
        second = await create(client, upstream.api_key)
    assert first.status_code == 500 and first.json() == {"code": 500, "msg": "internal error"}
    assert second.status_code == 200 and len(second.json()["data"]["taskId"]) == 32
    assert len(proxy.requests_to("createTask")) == 2  # both recorded, one forwarded


async def test_answer_rules_send_headers_malformed_json_and_html(
    upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.answer("createTask", 429, {"code": 429, "msg": "slow down"}, {"Retry-After": "30"})
    proxy.answer("recordInfo", 200, b'{"code":200,"data":{')
    proxy.answer("/files/", 502, "<html><body>502 Bad Gateway</body></html>",
                 {"Content-Type": "text/html"})  # fmt: skip
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        limited = await create(client, upstream.api_key)
        broken = await client.get(RECORD, params={"taskId": "x"})
        page = await client.get("/files/anything")
        # A rule only for POST leaves GETs of the same path alone.
        proxy.clear()
        proxy.answer("/api/v1/chat/credit", 402, {"code": 402, "msg": "no"}, method="POST")
        credit = await client.get("/api/v1/chat/credit", headers=upstream.auth)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "30"
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert page.status_code == 502 and page.headers["content-type"] == "text/html"
    assert page.text.startswith("<html>")
    assert credit.status_code == 200 and credit.json()["code"] == 200


async def test_a_delay_rule_outlasts_a_client_timeout_once(
    upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.delay("credit", 0.5, times=1)
    async with httpx.AsyncClient(base_url=proxy.base_url, headers=upstream.auth) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/api/v1/chat/credit", timeout=0.1)
        started = time.monotonic()
        answered = await client.get("/api/v1/chat/credit", timeout=5)
    assert answered.status_code == 200 and answered.json()["code"] == 200
    assert time.monotonic() - started < 0.4  # the rule ran out after one request


async def test_rewrite_json_rules_change_recordinfo(
    upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        task_id = (await create(client, upstream.api_key)).json()["data"]["taskId"]
        await poll(client, upstream.api_key, task_id)  # really succeeded upstream
        proxy.rewrite_json("recordInfo", record_state("generating"), times=1)
        proxy.rewrite_json("recordInfo", record_state("fail", fail_code="500", fail_msg="boom"),
                           times=1)  # fmt: skip
        proxy.rewrite_json(
            "recordInfo", rewrite_result_urls(lambda u: u.replace("/files/", "/gone/"))
        )
        record = {"taskId": task_id}
        auth = upstream.auth
        generating = (await client.get(RECORD, params=record, headers=auth)).json()["data"]
        failed = (await client.get(RECORD, params=record, headers=auth)).json()["data"]
        moved = (await client.get(RECORD, params=record, headers=auth)).json()["data"]
        [gone] = result_urls(moved)
        missing = await client.get(gone)
    assert generating["state"] == "generating" and generating["resultJson"] is None
    assert failed["state"] == "fail" and (failed["failCode"], failed["failMsg"]) == ("500", "boom")
    assert moved["state"] == "success" and "/gone/" in gone
    assert missing.status_code == 404


def test_closed_port_url_refuses_connections() -> None:
    down = closed_port_url()
    with pytest.raises(httpx.ConnectError):
        httpx.get(down + "/api/v1/chat/credit", timeout=2)
    # Behind a proxy, a provider that is down is a gateway error.
    with FaultProxy(down) as proxy:
        answer = httpx.get(proxy.url("/api/v1/chat/credit"), timeout=2)
    assert answer.status_code == 502 and "ConnectError" in answer.text


def test_upstream_overrides_reach_its_settings(tmp_path: Path) -> None:
    with UpstreamImagegate(tmp_path / "data", default_account_credits=7) as upstream:
        assert upstream.settings.default_account_credits == 7
        assert upstream.balance() == 7
    # Closed means closed: the port no longer answers and the runtime's database is shut.
    assert upstream.runtime.db.conn_closed
    with pytest.raises(httpx.ConnectError):
        httpx.get(upstream.url("/api/v1/chat/credit"), timeout=2)


def test_served_app_takes_a_free_port_and_stops() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            assert (await receive())["type"] == "lifespan.startup"
            await send({"type": "lifespan.startup.complete"})
            assert (await receive())["type"] == "lifespan.shutdown"
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with ServedApp(app) as served:
        assert served.port > 0 and served.url("/x") == f"http://127.0.0.1:{served.port}/x"
        assert httpx.get(served.url("/x"), timeout=2).status_code == 204
    assert not served._thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url("/x"), timeout=2)
