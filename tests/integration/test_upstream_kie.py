"""The ``upstream_kie`` engine end to end: a local imagegate routes a model to a Kie-compatible
upstream — a second imagegate in mock mode, behind a fault-injecting proxy — over real HTTP.

Each fault of the issue is shown twice: with the upstream alone on the route (the task fails,
its failMsg says which upstream did what, the user is refunded) and with the mock engine
behind it (the task succeeds through failover, charged once, the record naming the engine
that served it). The input's fault never fails over.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from imagegate.catalog import get_model

from loopback import LoopbackServer
from upstreams import (
    FaultProxy,
    UpstreamImagegate,
    closed_port_url,
    record_state,
    rewrite_result_urls,
)

MODEL = "google/nano-banana"
ROUTED = (MODEL, "ideogram/v3-reframe", "gpt4o-image", "flux-kontext-pro")
INPUT = {"prompt": "a lighthouse at dusk", "image_size": "16:9"}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamImagegate]:
    with UpstreamImagegate(tmp_path_factory.mktemp("upstream")) as served:
        yield served


@pytest.fixture
def proxy(upstream: UpstreamImagegate) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.base_url) as served:
        yield served


def kie(base_url: str, key: str, **overrides: Any) -> dict[str, Any]:
    """A provider table as an operator writes it, with timings short enough for tests."""
    return {
        "type": "upstream_kie", "base_url": base_url, "api_key": key,
        "poll_scale": 0.02, "timeout_seconds": 2.0, "retries": 1, "patience_seconds": 1.0,
        "max_wait_seconds": 5.0, **overrides,
    }


class Local:
    """The imagegate under test, with its worker running."""

    def __init__(self, harness: Any) -> None:
        self.harness = harness

    async def run(self, model: str = MODEL, input: dict[str, Any] | None = None,
                  timeout: float = 20.0) -> dict[str, Any]:
        created = await self.harness.create({"model": model, "input": input or INPUT})
        assert created.status_code == 200, created.text
        task_id = created.json()["data"]["taskId"]
        async with asyncio.timeout(timeout):
            while True:
                data = (await self.harness.record(task_id)).json()["data"]
                if data["state"] in ("success", "fail"):
                    return dict(data)
                await asyncio.sleep(0.05)

    async def balance(self) -> float:
        answer = await self.harness.client.get("/api/v1/chat/credit", headers=self.harness.auth)
        return float(answer.json()["data"])

    async def fetch(self, url: str) -> bytes:
        answer = await self.harness.client.get(url)
        assert answer.status_code == 200
        return bytes(answer.content)


@pytest.fixture
def local(runtime_factory: Any, harness_opener: Any) -> Callable[..., Any]:
    @asynccontextmanager
    async def open_local(route: list[str], **providers: dict[str, Any]) -> AsyncIterator[Local]:
        runtime = runtime_factory(
            mock=False, providers=providers, routes={model: route for model in ROUTED},
            query_rate="1000/1s", create_rate="1000/1s",
        )
        harness, client = await harness_opener(runtime, start=True)
        try:
            async with client:
                yield Local(harness)
        finally:
            await runtime.stop()

    return open_local


def price(model: str = MODEL, input: dict[str, Any] | None = None) -> float:
    spec = get_model(model)
    assert spec is not None
    return spec.price_milli(spec.validate(input or INPUT)) / 1000


def result_urls(record: dict[str, Any]) -> list[str]:
    return list(json.loads(record["resultJson"])["resultUrls"])


# ------------------------------------------------------------------ success


async def test_a_task_runs_upstream_and_its_result_is_hosted_here(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    upstream_before = upstream.balance()
    async with local(["kie"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        before = await here.balance()
        record = await here.run()
        assert record["state"] == "success", record
        assert record["engine"] == "kie"
        assert await here.balance() == pytest.approx(before - price())
        urls = result_urls(record)
        assert urls and all(url.startswith("http://testserver/") for url in urls)
        image = await here.fetch(urls[0])
        assert image.startswith(b"\x89PNG")
    created = proxy.requests_to("createTask")
    assert len(created) == 1
    body = json.loads(created[0].body)
    assert body["model"] == MODEL and body["input"]["prompt"] == INPUT["prompt"]
    assert created[0].headers["authorization"] == f"Bearer {upstream.api_key}"
    # The key ties the upstream task to this one: a worker's retry cannot pay twice.
    assert created[0].headers["idempotency-key"] == f"imagegate-{record['taskId']}"
    assert proxy.requests_to("recordInfo")
    # The operator's account upstream paid for exactly one task.
    assert upstream.balance() == pytest.approx(upstream_before - price())


async def test_input_images_are_uploaded_to_the_upstream_first(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy, loopback: LoopbackServer
) -> None:
    image_url = loopback.serve_image("/photo.png", (96, 64))
    reframe = {"image_url": image_url, "image_size": "portrait_16_9", "num_images": "2"}
    async with local(["kie"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run("ideogram/v3-reframe", reframe)
        assert record["state"] == "success", record
        assert len(result_urls(record)) == 2
    uploads = proxy.requests_to("file-stream-upload")
    assert len(uploads) == 1
    assert b"\x89PNG" in uploads[0].body
    sent = json.loads(proxy.requests_to("createTask")[0].body)["input"]
    # The upstream got its own copy, not the user's URL.
    assert sent["image_url"] != image_url
    assert sent["image_url"].startswith(upstream.base_url)


async def test_upload_inputs_never_passes_the_users_url_on(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy, loopback: LoopbackServer
) -> None:
    image_url = loopback.serve_image("/photo.png", (96, 64))
    reframe = {"image_url": image_url, "image_size": "square_hd"}
    provider = kie(proxy.base_url, upstream.api_key, upload_inputs="never")
    async with local(["kie"], kie=provider) as here:
        record = await here.run("ideogram/v3-reframe", reframe)
        assert record["state"] == "success", record
    assert not proxy.requests_to("file-stream-upload")
    assert json.loads(proxy.requests_to("createTask")[0].body)["input"]["image_url"] == image_url


async def test_a_429_within_the_patience_is_waited_out_on_the_same_upstream(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.answer("createTask", 429, {"code": 429, "msg": "slow down"},
                 headers={"Retry-After": "0"}, times=1)
    async with local(["kie", "mock"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run()
    assert record["state"] == "success" and record["engine"] == "kie", record
    assert len(proxy.requests_to("createTask")) == 2


async def test_a_500_within_the_retries_is_repeated_on_the_same_upstream(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.answer("recordInfo", 500, {"code": 500, "msg": "hiccup"}, times=1)
    async with local(["kie", "mock"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run()
    assert record["state"] == "success" and record["engine"] == "kie", record


async def test_gpt4o_image_goes_up_through_its_own_endpoint(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    input = {"prompt": "a red bicycle", "size": "3:2", "nVariants": 2}
    async with local(["kie"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run("gpt4o-image", input)
    assert record["state"] == "success" and record["engine"] == "kie", record
    assert len(result_urls(record)) == 2
    [created] = proxy.requests_to("/gpt4o-image/generate")
    # The validated input goes up: the fields sent, and the model's defaults.
    assert json.loads(created.body) == {**input, "isEnhance": False, "enableFallback": False}
    assert proxy.requests_to("/gpt4o-image/record-info")
    assert not proxy.requests_to("createTask")


async def test_a_gpt4o_image_task_failed_upstream_fails_here_with_its_error(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    def failed(answer: dict[str, Any]) -> dict[str, Any]:
        answer["data"].update(status="GENERATE_FAILED", successFlag=2, errorCode=500,
                              errorMessage="upstream GPU fault")
        return answer

    proxy.rewrite_json("record-info", failed)
    input = {"prompt": "a red bicycle", "size": "1:1"}
    async with local(["kie"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run("gpt4o-image", input)
    assert record["state"] == "fail" and record["failCode"] == "500", record
    assert "upstream kie: task" in record["failMsg"]
    assert "failed: 500: upstream GPU fault" in record["failMsg"]


async def test_flux_kontext_edits_through_its_own_endpoint_with_the_image_uploaded(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy, loopback: LoopbackServer
) -> None:
    image_url = loopback.serve_image("/photo.png", (96, 64))
    input = {"prompt": "make it night", "inputImage": image_url, "aspectRatio": "4:3"}
    async with local(["kie"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run("flux-kontext-pro", input)
    assert record["state"] == "success" and record["engine"] == "kie", record
    assert len(result_urls(record)) == 1
    [created] = proxy.requests_to("/flux/kontext/generate")
    sent = json.loads(created.body)
    assert sent["model"] == "flux-kontext-pro" and sent["prompt"] == "make it night"
    assert sent["inputImage"].startswith(upstream.base_url)  # uploaded, not the user's URL
    assert len(proxy.requests_to("file-stream-upload")) == 1


# ------------------------------------------------------------------ faults

# Each fault: how to set it up on the proxy (or the provider), and what the failMsg says.
Fault = Callable[[FaultProxy], dict[str, Any]]


def _down(proxy: FaultProxy) -> dict[str, Any]:
    return {"base_url": closed_port_url()}


def _slow(proxy: FaultProxy) -> dict[str, Any]:
    proxy.delay("createTask", 1.0)
    return {"timeout_seconds": 0.3}


def _rate_limited(proxy: FaultProxy) -> dict[str, Any]:
    proxy.answer("createTask", 429, {"code": 429, "msg": "Too many requests"},
                 headers={"Retry-After": "30"})
    return {}


def _server_error(proxy: FaultProxy) -> dict[str, Any]:
    proxy.answer("createTask", 500, {"code": 500, "msg": "Server Error"})
    return {}


def _out_of_credits(proxy: FaultProxy) -> dict[str, Any]:
    # Kie answers business errors with HTTP 200 and the code in the body.
    proxy.answer("createTask", 200, {"code": 402, "msg": "Credits insufficient"})
    return {}


def _malformed(proxy: FaultProxy) -> dict[str, Any]:
    proxy.answer("createTask", 200, b'{"code":200,"data":{')
    return {}


def _task_fails(proxy: FaultProxy) -> dict[str, Any]:
    proxy.rewrite_json("recordInfo", record_state("fail", fail_code="500", fail_msg="GPU died"))
    return {}


def _result_gone(proxy: FaultProxy) -> dict[str, Any]:
    proxy.rewrite_json("recordInfo", rewrite_result_urls(lambda u: u.replace("/files/", "/gone/")))
    return {}


def _never_finishes(proxy: FaultProxy) -> dict[str, Any]:
    proxy.rewrite_json("recordInfo", record_state("generating"))
    return {"max_wait_seconds": 0.5}


FAULTS: dict[str, tuple[Fault, str]] = {
    "down": (_down, "upstream kie: unreachable (createTask: ConnectError"),
    "slow": (_slow, "upstream kie: no answer to createTask within 0.3 s"),
    "429": (_rate_limited, "Retry-After 30 s is beyond the patience of 1 s"),
    "500": (_server_error, "upstream kie: createTask failed: Server Error (code 500)"),
    "402": (_out_of_credits, "refused for the operator's balance there: Credits insufficient"),
    "malformed": (_malformed, "upstream kie: createTask answered malformed data"),
    "task fails": (_task_fails, "failed: 500: GPU died"),
    "result 404": (_result_gone, "answered HTTP 404"),
    "never finishes": (_never_finishes, "still generating after 0.5 s"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_fault_fails_the_task_saying_which_upstream_did_what(
    fault: str, local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    setup, said = FAULTS[fault]
    provider = kie(proxy.base_url, upstream.api_key) | setup(proxy)
    async with local(["kie"], kie=provider) as here:
        before = await here.balance()
        record = await here.run()
        assert record["state"] == "fail", record
        assert said in record["failMsg"]
        assert record["failMsg"].startswith("upstream kie:")
        assert record["engine"] == "kie"
        # Kie's codes: 500 for an upstream that is down or broken, 501 for a generation
        # that ran and gave nothing usable.
        assert record["failCode"] == ("501" if fault == "result 404" else "500")
        # Refunded: a failed task costs nothing.
        assert await here.balance() == pytest.approx(before)


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_fault_fails_over_to_the_next_engine_and_charges_once(
    fault: str, local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    setup, _ = FAULTS[fault]
    provider = kie(proxy.base_url, upstream.api_key) | setup(proxy)
    async with local(["kie", "mock"], kie=provider) as here:
        before = await here.balance()
        record = await here.run()
        assert record["state"] == "success", record
        assert record["engine"] == "mock"
        assert await here.balance() == pytest.approx(before - price())


async def test_every_engine_failing_tells_each_attempt(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.answer("createTask", 500, {"code": 500, "msg": "Server Error"})
    providers = {
        "kie": kie(proxy.base_url, upstream.api_key),
        "reseller": kie(closed_port_url(), "another-key"),
    }
    async with local(["kie", "reseller"], **providers) as here:
        record = await here.run()
    assert record["state"] == "fail"
    assert record["engine"] == "reseller"
    first, second = record["failMsg"].split("; then ")
    assert first.startswith("upstream kie: createTask failed")
    assert second.startswith("upstream reseller: unreachable")


async def test_an_upstream_task_failed_on_the_input_does_not_fail_over(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.rewrite_json(
        "recordInfo", record_state("fail", fail_code="422", fail_msg="prompt refused")
    )
    async with local(["kie", "mock"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        before = await here.balance()
        record = await here.run()
        assert await here.balance() == pytest.approx(before)
    assert record["state"] == "fail" and record["failCode"] == "422"
    assert "failed on the input: 422: prompt refused" in record["failMsg"]
    assert record["engine"] == "kie"


async def test_an_upstream_validation_error_does_not_fail_over(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    proxy.answer("createTask", 200, {"code": 422, "msg": "input.prompt: is too long"})
    async with local(["kie", "mock"], kie=kie(proxy.base_url, upstream.api_key)) as here:
        record = await here.run()
    assert record["state"] == "fail" and record["failCode"] == "422", record
    assert "upstream kie: createTask refused the input" in record["failMsg"]


async def test_the_upstream_callback_ends_the_wait_early(
    local: Any, upstream: UpstreamImagegate, proxy: FaultProxy
) -> None:
    # Polling so slow (the first poll, then one every 50 s) that only the callback can finish
    # the task in time. The first poll is shown the task still generating: the zero-latency
    # upstream may already be done by then, and a follower that saw success would have no wait
    # left for the callback to end.
    proxy.rewrite_json("recordInfo", record_state("generating"), times=1)
    provider = kie(proxy.base_url, upstream.api_key, callbacks=True, poll_scale=10.0)
    async with local(["kie"], kie=provider) as here:
        engine = here.harness.runtime.engines.get("kie")
        assert engine.callback_url.startswith("http://testserver/api/upstream/kie/callback?")
        created = await here.harness.create({"model": MODEL, "input": INPUT})
        task_id = created.json()["data"]["taskId"]
        async with asyncio.timeout(5):
            while not proxy.requests_to("recordInfo"):
                await asyncio.sleep(0.02)
        assert json.loads(proxy.requests_to("createTask")[0].body)["callBackUrl"] == (
            engine.callback_url
        )
        upstream_id = parse_qs(proxy.requests_to("recordInfo")[0].query)["taskId"][0]
        await _until_done_upstream(upstream, upstream_id)
        # The upstream cannot reach http://testserver: its callback is delivered by hand.
        path = engine.callback_url.removeprefix("http://testserver")
        woke = await here.harness.client.post(
            path, json={"code": 200, "msg": "done", "data": {"taskId": upstream_id}}
        )
        assert woke.status_code == 200 and woke.json()["data"] == {"woke": True}
        async with asyncio.timeout(5):
            while (await here.harness.record(task_id)).json()["data"]["state"] != "success":
                await asyncio.sleep(0.05)
        forged = await here.harness.client.post(
            "/api/upstream/kie/callback?token=nope", json={"data": {"taskId": upstream_id}}
        )
        assert forged.status_code == 401
        unknown = await here.harness.client.post(
            path.replace("/kie/", "/other/"), json={"data": {"taskId": upstream_id}}
        )
        assert unknown.status_code == 404


async def _until_done_upstream(upstream: UpstreamImagegate, upstream_id: str) -> None:
    async with httpx.AsyncClient(base_url=upstream.base_url, headers=upstream.auth) as client:
        async with asyncio.timeout(5):
            while (await client.get("/api/v1/jobs/recordInfo", params={"taskId": upstream_id})
                   ).json()["data"]["state"] != "success":
                await asyncio.sleep(0.05)
