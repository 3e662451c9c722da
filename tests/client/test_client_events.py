"""``Client.events`` / ``AsyncClient.events`` and ``wait`` on live events, against a real
imagegate served by uvicorn on loopback (tests/upstreams.py): the events in order up to the
record, ``wait`` without a single recordInfo poll, a stream cut mid-way resumed after its last
event, a refusal raised as the API error. (Kie, which has no events, is
test_client_fake_kie.py's: ``wait`` polls after one 404.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from client_harness import Either

from imagegate.client import AsyncClient, Client, NotFoundError, Task, TaskEvent

from upstreams import UpstreamImagegate

MODEL = "google/nano-banana"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamImagegate]:
    """Tasks take 1.5 s on the mock engine, with a progress report halfway."""
    served = UpstreamImagegate(tmp_path_factory.mktemp("events"), mock_latency=1.5,
                               lease_seconds=0.9)
    yield served
    served.close()


class Seen:
    """Every request the client sent (method, path, Last-Event-ID), and, with ``cut``, the
    first events stream cut after that many bytes, as a dropped connection cuts it."""

    def __init__(self, cut: int | None = None) -> None:
        self.requests: list[tuple[str, str, str | None]] = []
        self.cut = cut

    def note(self, request: httpx.Request) -> None:
        self.requests.append(
            (request.method, request.url.path, request.headers.get("last-event-id"))
        )

    def paths(self, path: str) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if r[1] == path]

    def cutting(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if self.cut is None or request.url.path != "/api/v1/jobs/events":
            return response
        limit, self.cut = self.cut, None
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_Cut(response.stream, limit))


class _Cut(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The first ``limit`` bytes of ``stream``, then a reset connection."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.limit = stream, limit

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.stream:
            yield chunk[: self.limit - sent]
            sent += len(chunk)
            if sent >= self.limit:
                break
        self.stream.close()
        raise httpx.ReadError("connection reset by peer (test)")

    async def __aiter__(self) -> Any:
        sent = 0
        async for chunk in self.stream:
            yield chunk[: self.limit - sent]
            sent += len(chunk)
            if sent >= self.limit:
                break
        await self.stream.aclose()
        raise httpx.ReadError("connection reset by peer (test)")


def client_on(server: UpstreamImagegate, is_async: bool, seen: Seen) -> Either:
    kwargs: dict[str, Any] = {"api_key": server.api_key, "base_url": server.base_url}
    if is_async:
        class Async(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                seen.note(request)
                return seen.cutting(request, await super().handle_async_request(request))

        return Either(AsyncClient(transport=Async(), **kwargs))

    class Sync(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.note(request)
            return seen.cutting(request, super().handle_request(request))

    return Either(Client(transport=Sync(), **kwargs))


async def test_events_come_in_order_up_to_the_record(
    server: UpstreamImagegate, is_async: bool
) -> None:
    client = client_on(server, is_async, Seen())
    task = await client.create_task(MODEL, {"prompt": "a kite"})
    events = await _collect(client, task)
    names = [e.event for e in events]
    assert names[0] == "state" and names[-1] == "record" and names.count("record") == 1
    states = [e.data["state"] for e in events if e.event == "state"]
    assert "generating" in states and states[-1] == "success"
    assert "progress" in names
    ids = [int(e.id or "") for e in events]
    assert ids == sorted(ids)
    assert Task.from_record(events[-1].data).result_urls


async def test_wait_follows_the_events_without_polling(
    server: UpstreamImagegate, is_async: bool
) -> None:
    seen = Seen()
    client = client_on(server, is_async, seen)
    task = await client.create_task(MODEL, {"prompt": "a boat"})
    updates: list[Task] = []
    done = await client.wait(task, timeout=30, on_update=updates.append)
    assert done.succeeded and done.result_urls and done.model == MODEL
    assert not seen.paths("/api/v1/jobs/recordInfo")
    assert len(seen.paths("/api/v1/jobs/events")) == 1
    states = [u.state.value for u in updates]
    assert "generating" in states and states[-1] == "success"
    assert any(u.progress and 10 < u.progress < 100 for u in updates)


async def test_a_cut_stream_is_resumed_after_its_last_event(
    server: UpstreamImagegate, is_async: bool
) -> None:
    # Cut inside the first state event: "retry: 2000\n\n" and a few bytes more.
    seen = Seen(cut=40)
    client = client_on(server, is_async, seen)
    task = await client.create_task(MODEL, {"prompt": "a bridge"})
    events = await _collect(client, task)
    asked = seen.paths("/api/v1/jobs/events")
    assert len(asked) == 2 and asked[0][2] is None
    assert events[-1].event == "record" and events[-1].data["state"] == "success"
    # Cut again after a whole event: the next connection resumes after that event's id.
    seen2 = Seen()
    client2 = client_on(server, is_async, seen2)
    second = await client2.create_task(MODEL, {"prompt": "a tower"})
    first = (await _collect(client2, second, stop_after=1))[0]
    rest = await _collect(client2, second, last_event_id=first.id)
    assert seen2.paths("/api/v1/jobs/events")[-1][2] == first.id
    assert all(int(e.id or "") > int(first.id or "") for e in rest)
    assert rest[-1].event == "record"


async def test_events_of_an_unknown_task_raise_not_found(
    server: UpstreamImagegate, is_async: bool
) -> None:
    client = client_on(server, is_async, Seen())
    with pytest.raises(NotFoundError):
        await _collect(client, "no-such-task")


async def _collect(
    client: Either, task: Task | str, *, stop_after: int | None = None, **kwargs: Any
) -> list[TaskEvent]:
    """The task's events through the client (sync in a thread), up to ``stop_after``."""
    import asyncio

    if client.is_async:
        out: list[TaskEvent] = []
        stream = client.client.events(task, **kwargs)
        async for event in stream:
            out.append(event)
            if stop_after is not None and len(out) >= stop_after:
                await stream.aclose()
                break
        return out

    def read() -> list[TaskEvent]:
        got: list[TaskEvent] = []
        stream = client.client.events(task, **kwargs)
        for event in stream:
            got.append(event)
            if stop_after is not None and len(got) >= stop_after:
                stream.close()
                break
        return got

    return await asyncio.to_thread(read)
