"""Issue 19, point 7: a model the catalog does not know passes through an upstream Kie route the
operator turned pass-through on for, over real HTTP: imagegate's API in-process, its worker
running, a fake of Kie's Market API (``tests/fake_kie.py``, from Kie's docs) on loopback.

The upstream gets exactly the model and input the client sent; the result is re-hosted here;
the task is charged the route's price (fixed, or held and settled to what the upstream says it
cost), refunded whole when it fails; recordInfo, the task list and the callback show it as any
other task. Off (the default), the same request is the usual 422 naming ``model``.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from PIL import Image

from fake_kie import FAKE_KIE_KEY, RESULT_SIZE, FakeKieMarket
from loopback import LoopbackServer
from upstreams import closed_port_url

MODEL = "acme/brand-new-model"
# Fields imagegate knows nothing of, an image URL it must not fetch (nothing listens there), a
# null and a nested value: all go up as sent.
INPUT: dict[str, Any] = {
    "prompt": "a lighthouse at dusk",
    "image_urls": ["http://127.0.0.1:9/never-fetched.png"],
    "aspect_ratio": "3:2",
    "quality": None,
    "extras": {"steps": [1, 2, {"a": None}]},
}
PRICE = 7.5


@pytest.fixture
def market() -> Iterator[FakeKieMarket]:
    with FakeKieMarket() as served:
        yield served


def kie(base_url: str, **overrides: Any) -> dict[str, Any]:
    """A Kie provider passing uncatalogued models through, timed for tests."""
    return {
        "type": "upstream_kie", "base_url": base_url, "api_key": FAKE_KIE_KEY,
        "poll_scale": 0.02, "timeout_seconds": 2.0, "retries": 0, "max_wait_seconds": 5.0,
        "pass_through": True, "pass_through_price_credits": PRICE, **overrides,
    }


class Local:
    """The imagegate under test, with its worker running."""

    def __init__(self, harness: Any) -> None:
        self.harness = harness
        self.client = harness.client

    async def create(self, body: dict[str, Any], version: str = "v1") -> Any:
        return await self.client.post(
            f"/api/{version}/jobs/createTask", json=body, headers=self.harness.auth
        )

    async def wait(self, task_id: str, timeout: float = 20.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                data = (await self.harness.record(task_id)).json()["data"]
                if data["state"] in ("success", "fail"):
                    return dict(data)
                await asyncio.sleep(0.05)

    async def run(self, body: dict[str, Any], version: str = "v1") -> dict[str, Any]:
        created = await self.create(body, version)
        assert created.status_code == 200, created.text
        return await self.wait(created.json()["data"]["taskId"])

    async def balance(self) -> float:
        answer = await self.client.get("/api/v1/chat/credit", headers=self.harness.auth)
        return float(answer.json()["data"])


@pytest.fixture
def local(runtime_factory: Any, harness_opener: Any) -> Callable[..., Any]:
    @asynccontextmanager
    async def open_local(mock: bool = False, **providers: dict[str, Any]) -> AsyncIterator[Local]:
        runtime = runtime_factory(
            mock=mock, providers=providers, query_rate="1000/1s", create_rate="1000/1s",
            database_url="memory://",
        )
        harness, client = await harness_opener(runtime, start=True)
        try:
            async with client:
                yield Local(harness)
        finally:
            await runtime.stop()

    return open_local


def result_urls(record: dict[str, Any]) -> list[str]:
    return list(json.loads(record["resultJson"])["resultUrls"])


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_an_uncatalogued_model_goes_up_as_sent_and_comes_back_hosted_here(
    local: Any, market: FakeKieMarket, version: str
) -> None:
    market.images = 2
    body = {"model": MODEL, "input": INPUT}
    async with local(kie=kie(market.base_url)) as here:
        before = await here.balance()
        record = await here.run(body, version)
        assert record["state"] == "success", record
        assert record["engine"] == "kie" and record["model"] == MODEL
        # The record echoes the request as sent.
        assert json.loads(record["param"]) == body
        urls = result_urls(record)
        assert len(urls) == 2 and all(u.startswith("http://testserver/") for u in urls)
        assert not any(market.base_url in u for u in urls)
        for url in urls:
            image = await here.client.get(url)
            assert image.status_code == 200
            with Image.open(io.BytesIO(image.content)) as decoded:
                assert (decoded.format, decoded.size) == ("PNG", RESULT_SIZE)
        assert await here.balance() == pytest.approx(before - PRICE)
        listed = (await here.client.get(
            "/api/v1/jobs/list", params={"model": MODEL}, headers=here.harness.auth
        )).json()["data"]
        assert [t["taskId"] for t in listed["tasks"]] == [record["taskId"]]
        assert listed["tasks"][0]["consumeCredits"] == PRICE
    # Exactly the model and input sent, through Kie's v1 jobs API, nothing uploaded.
    assert market.created == [body]


async def test_pass_through_off_is_the_usual_422_naming_model(
    local: Any, market: FakeKieMarket
) -> None:
    off = kie(market.base_url)
    del off["pass_through"], off["pass_through_price_credits"]
    async with local(kie=off) as here:
        for version in ("v1", "v2"):
            answer = await here.create({"model": MODEL, "input": INPUT}, version)
            assert answer.status_code == 422
            msg = answer.json()["msg"]
            assert msg.startswith("model: unknown model 'acme/brand-new-model' (known models: ")
            assert "google/nano-banana" in msg
    # The mock engine never serves an unknown model, pass-through configured or not.
    async with local(mock=True, kie=kie(market.base_url)) as here:
        answer = await here.create({"model": MODEL, "input": INPUT})
        assert answer.status_code == 422
        assert answer.json()["msg"].startswith("model: unknown model")
    assert market.created == []


async def test_input_must_be_an_object_and_the_model_an_id(
    local: Any, market: FakeKieMarket
) -> None:
    async with local(kie=kie(market.base_url)) as here:
        missing = await here.create({"model": MODEL})
        assert (missing.status_code, missing.json()["msg"]) == (422, "input: is required")
        wrong = await here.create({"model": MODEL, "input": ["prompt"]})
        assert (wrong.status_code, wrong.json()["msg"]) == (422, "input: must be an object")
        odd = await here.create({"model": "no spaces allowed", "input": {}})
        assert odd.status_code == 422
        assert odd.json()["msg"].startswith("model: unknown model 'no spaces allowed'")
    assert market.created == []


async def test_an_upstream_priced_task_settles_to_the_cost_the_upstream_reports(
    local: Any, market: FakeKieMarket, loopback: LoopbackServer
) -> None:
    market.consume_credits = 2.5
    provider = kie(market.base_url, pass_through_price="upstream",
                   pass_through_price_credits=10)
    async with local(kie=provider) as here:
        before = await here.balance()
        market.polls_before_done = 1_000  # held while it runs
        created = await here.create(
            {"model": MODEL, "input": INPUT, "callBackUrl": loopback.url("/hook")}
        )
        task_id = created.json()["data"]["taskId"]
        assert await here.balance() == pytest.approx(before - 10)
        market.polls_before_done = 0
        record = await here.wait(task_id)
        assert record["state"] == "success", record
        assert await here.balance() == pytest.approx(before - 2.5)
        # The callback shows the task as any other: what it cost, the balance after it.
        hook = (await asyncio.to_thread(loopback.wait_for_posts, "/hook", 1))[0].json()
        assert hook["code"] == 200 and hook["data"]["taskId"] == task_id
        assert hook["data"]["consumeCredits"] == 2.5
        assert hook["data"]["remainedCredits"] == pytest.approx(before - 2.5)
        assert json.loads(hook["data"]["param"])["input"] == INPUT
        assert result_urls(hook["data"]) == result_urls(record)
        # A report above the hold charges the hold; no report keeps it.
        for reported, charged in ((40, 10), (None, 10)):
            market.consume_credits = reported
            start = await here.balance()
            assert (await here.run({"model": MODEL, "input": INPUT}))["state"] == "success"
            assert await here.balance() == pytest.approx(start - charged)


async def test_a_failed_upstream_task_fails_here_refunded(
    local: Any, market: FakeKieMarket
) -> None:
    market.fail = ("500", "the upstream's GPU caught fire")
    async with local(kie=kie(market.base_url)) as here:
        before = await here.balance()
        record = await here.run({"model": MODEL, "input": INPUT})
        assert record["state"] == "fail", record
        assert "the upstream's GPU caught fire" in record["failMsg"]
        assert await here.balance() == pytest.approx(before)


async def test_pass_through_routes_fail_over_in_the_order_configured(
    local: Any, market: FakeKieMarket
) -> None:
    down = kie(closed_port_url())
    async with local(first=down, second=kie(market.base_url, pass_through_price_credits=3)) as h:
        routes = (await h.client.get(
            "/api/admin/routes", headers={"Authorization": f"Bearer {h.harness.admin_key}"}
        )).json()["data"]
        assert routes["routes"]["*"] == ["first", "second"]
        before = await h.balance()
        record = await h.run({"model": MODEL, "input": INPUT})
        assert record["state"] == "success" and record["engine"] == "second", record
        # The price is the route's head's, whichever upstream served it.
        assert await h.balance() == pytest.approx(before - PRICE)
    assert [b["model"] for b in market.created] == [MODEL]
