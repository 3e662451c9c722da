"""The client against a fake Kie.ai built from its documents (provider notes): Kie's shapes,
business errors as HTTP 200, a 429 with Retry-After, a 500 before success, uploads on another
host."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_harness import Either
from PIL import Image

from imagegate.client import AsyncClient, AuthenticationError, Client, NotFoundError, Task

GOOD_KEY = "kie-good-key"


class FakeKie:
    """Kie's API host and its separate upload host, as two loopback servers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.record_calls = 0
        self.create_calls = 0
        buffer = io.BytesIO()
        Image.new("RGB", (16, 9), (1, 2, 3)).save(buffer, "PNG")
        self.png = buffer.getvalue()
        self.api = self._serve(self._api)
        self.uploads = self._serve(self._upload)

    def _serve(self, route: Any) -> http.server.ThreadingHTTPServer:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append((self.command, self.path, headers))
                status, extra, payload = route(self.command, self.path, headers, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return server

    def url(self, server: http.server.ThreadingHTTPServer) -> str:
        return f"http://127.0.0.1:{server.server_address[1]}"

    def _api(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if path == "/result.png":
            return 200, {"Content-Type": "image/png"}, self.png
        if headers.get("authorization") != f"Bearer {GOOD_KEY}":
            # Kie's habit: a bad key is a business error inside HTTP 200.
            return 200, {}, {"code": 401, "msg": "You do not have access permissions"}
        if path == "/api/v1/chat/credit":
            return 200, {}, {"code": 200, "msg": "success", "data": 42.5}
        if path == "/api/v1/jobs/createTask":
            self.create_calls += 1
            if self.create_calls == 1:
                return 429, {"Retry-After": "2"}, {"code": 429, "msg": "Too many requests"}
            return 200, {}, {"code": 200, "msg": "success",
                             "data": {"taskId": "kie-1", "recordId": "kie-1"}}
        if path.startswith("/api/v1/jobs/recordInfo"):
            if "taskId=kie-1" not in path:
                return 200, {}, {"code": 422, "msg": "recordInfo is null", "data": None}
            self.record_calls += 1
            if self.record_calls == 1:
                return 500, {}, {"code": 500, "msg": "Server Error"}
            record = {
                "taskId": "kie-1", "model": "google/nano-banana", "state": "generating",
                "param": json.dumps({"model": "google/nano-banana"}), "resultJson": "",
                "failCode": None, "failMsg": None, "costTime": None, "completeTime": None,
                "createTime": 1, "updateTime": 2,
            }
            if self.record_calls >= 4:
                record.update(
                    state="success", costTime=3000, completeTime=5,
                    resultJson=json.dumps({"resultUrls": [self.url(self.api) + "/result.png"]}),
                )
            return 200, {}, {"code": 200, "msg": "success", "data": record}
        return 404, {}, {"code": 404, "msg": "Not found"}

    def _upload(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if headers.get("authorization") != f"Bearer {GOOD_KEY}":
            return 200, {}, {"success": False, "code": 401, "msg": "Unauthorized"}
        assert path == "/api/file-stream-upload" and b'name="uploadPath"' in body
        return 200, {}, {"success": True, "code": 200, "msg": "File uploaded successfully",
                         "data": {"fileName": "a.png", "filePath": "imagegate-client/a.png",
                                  "downloadUrl": "https://tempfile.example/a.png",
                                  "fileSize": 10, "mimeType": "image/png",
                                  "uploadedAt": "2025-01-01T12:00:00.000Z"}}

    def close(self) -> None:
        for server in (self.api, self.uploads):
            server.shutdown()
            server.server_close()


@pytest.fixture
def kie() -> Iterator[FakeKie]:
    fake = FakeKie()
    yield fake
    fake.close()


def kie_client(kie: FakeKie, is_async: bool, key: str, slept: list[float]) -> Either:
    kwargs: dict[str, Any] = {
        "api_key": key, "base_url": kie.url(kie.api), "upload_base_url": kie.url(kie.uploads),
    }
    if is_async:
        async def record(seconds: float) -> None:
            slept.append(seconds)

        return Either(AsyncClient(sleep=record, **kwargs))
    return Either(Client(sleep=slept.append, **kwargs))


async def test_client_copes_with_kie(kie: FakeKie, is_async: bool, tmp_path: Path) -> None:
    slept: list[float] = []
    client = kie_client(kie, is_async, GOOD_KEY, slept)
    assert await client.credits() == 42.5
    uploaded = await client.upload(kie.png)
    assert uploaded.download_url == "https://tempfile.example/a.png"

    task = await client.create_task("google/nano-banana", {"prompt": "p"})
    assert task.task_id == "kie-1" and slept == [2.0]  # the 429's Retry-After, honoured
    creates = [h for m, p, h in kie.requests if p == "/api/v1/jobs/createTask"]
    assert len(creates) == 2 and creates[0]["idempotency-key"] == creates[1]["idempotency-key"]

    done: Task = await client.wait(task)
    assert done.succeeded and kie.record_calls == 4
    # Kie offers no live events: one try (its 404), then polling, with nothing slept for it.
    asked = [p for m, p, h in kie.requests if p.startswith("/api/v1/jobs/events")]
    assert asked == ["/api/v1/jobs/events?taskId=kie-1"]
    # The 500 was retried after a jittered backoff; then two polls of 2.5 s.
    assert 0.25 <= slept[1] <= 0.5 and slept[2:] == [2.5, 2.5]
    files = await client.download(done, tmp_path)
    assert files == [tmp_path / "kie-1-1.png"] and files[0].read_bytes() == kie.png
    download = next(h for m, p, h in kie.requests if p == "/result.png")
    assert "authorization" not in download  # the key never goes to a result link

    with pytest.raises(NotFoundError):
        await client.get_task("unknown")


async def test_bad_key_answered_as_http_200(kie: FakeKie, is_async: bool) -> None:
    client = kie_client(kie, is_async, "bad-key", [])
    with pytest.raises(AuthenticationError) as caught:
        await client.credits()
    assert (caught.value.status, caught.value.code) == (200, 401)
    with pytest.raises(AuthenticationError):
        await client.upload(kie.png)
