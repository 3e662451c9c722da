"""Uploads, signed file URLs and download-url, through the real app over httpx.ASGITransport."""

from __future__ import annotations

import base64
import http.server
import io
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from imagegate.accounts.keys import AccountRequest, create_account, hash_key
from imagegate.api.app import create_app
from imagegate.clock import now_ms
from imagegate.runtime import Runtime

BASE = "http://testserver"


@dataclass
class FilesApi:
    runtime: Runtime
    client: httpx.AsyncClient
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    async def fetch(self, url: str, method: str = "GET") -> httpx.Response:
        assert url.startswith(BASE + "/files/"), url
        return await self.client.request(method, url[len(BASE):])

    async def upload_stream(
        self, data: bytes, *, filename: str = "photo.png", ctype: str = "image/png",
        fields: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.client.post(
            "/api/file-stream-upload",
            files={"file": (filename, data, ctype)},
            data={"uploadPath": "images/user-uploads"} if fields is None else fields,
            headers=self.auth,
        )


OpenApi = Callable[..., AbstractAsyncContextManager[FilesApi]]


@pytest.fixture
def open_api(runtime_factory: Any) -> OpenApi:
    @asynccontextmanager
    async def opener(**overrides: Any) -> AsyncIterator[FilesApi]:
        runtime = runtime_factory(**overrides)
        key = (await runtime.first_start()).default_key
        if key is None:  # a second runtime on the same data dir: the default account exists
            _, key = await create_account(runtime.store, AccountRequest("files-test"))
        app = create_app(runtime, manage_runtime=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield FilesApi(runtime, client, key)

    return opener


@pytest.fixture
async def files_api(open_api: OpenApi) -> AsyncIterator[FilesApi]:
    async with open_api() as api:
        yield api


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def assert_upload_answer(body: dict[str, Any], size: int, mime: str) -> dict[str, Any]:
    assert body["success"] is True and body["code"] == 200
    assert body["msg"] == "File uploaded successfully"
    data: dict[str, Any] = body["data"]
    assert set(data) == {
        "fileName", "filePath", "downloadUrl", "fileSize", "mimeType", "uploadedAt"
    }
    assert data["fileSize"] == size and data["mimeType"] == mime
    assert data["filePath"].endswith("/" + data["fileName"])
    uploaded = time.strptime(data["uploadedAt"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(time.mktime(uploaded) - time.mktime(time.gmtime())) < 60
    return data


# ------------------------------------------------------------------ uploads, then GET


async def test_stream_upload_then_download_returns_the_same_bytes(files_api: FilesApi) -> None:
    image = png_bytes()
    # The declared type is wrong on purpose: magic bytes decide for images.
    response = await files_api.upload_stream(image, filename="My photo.png", ctype="text/plain",
                                             fields={"uploadPath": "images/user-uploads",
                                                     "fileName": "My photo.png"})
    assert response.status_code == 200, response.text
    data = assert_upload_answer(response.json(), len(image), "image/png")
    assert data["fileName"] == "My_photo.png"
    assert data["filePath"] == "images/user-uploads/My_photo.png"

    expires = int(query_of(data["downloadUrl"])["expires"])
    assert abs(expires - (time.time() + 72 * 3600)) < 60  # kept 3 days

    got = await files_api.fetch(data["downloadUrl"])
    assert got.status_code == 200
    assert got.content == image
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"] == 'inline; filename="My_photo.png"'
    cache = got.headers["cache-control"]
    assert cache.startswith("private, max-age=")
    assert abs(int(cache.split("=")[1]) - 72 * 3600) < 60
    assert got.headers["x-content-type-options"] == "nosniff"

    key = files_api.runtime.signer.key_of_own_url(data["downloadUrl"])
    assert key is not None
    account = await files_api.runtime.store.account_by_key_hash(hash_key(files_api.key))
    assert account is not None
    assert key.startswith(f"uploads/{account.id}/images/user-uploads/")
    assert key.endswith("-My_photo.png")
    stored = await files_api.runtime.files.get(key)
    assert stored is not None
    assert (stored.kind, stored.account_id, stored.size) == ("upload", account.id, len(image))


async def test_head_answers_headers_without_a_body(files_api: FilesApi) -> None:
    image = png_bytes()
    data = (await files_api.upload_stream(image)).json()["data"]
    head = await files_api.fetch(data["downloadUrl"], "HEAD")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(image))
    assert head.headers["content-type"] == "image/png"


async def test_stream_upload_keeps_a_declared_type_and_makes_a_default_name(
    files_api: FilesApi,
) -> None:
    body = b"%PDF-1.7 not really a pdf"
    response = await files_api.upload_stream(body, filename="report.pdf", ctype="application/pdf")
    data = assert_upload_answer(response.json(), len(body), "application/pdf")
    assert data["fileName"].endswith(".pdf") and len(data["fileName"]) == 12 + 4
    got = await files_api.fetch(data["downloadUrl"])
    assert got.content == body and got.headers["content-type"] == "application/pdf"


async def test_base64_upload_plain_and_data_url(files_api: FilesApi) -> None:
    image = png_bytes((3, 3))
    plain = await files_api.client.post(
        "/api/file-base64-upload",
        json={"base64Data": base64.b64encode(image).decode(), "uploadPath": "b64",
              "fileName": "dot.png"},
        headers=files_api.auth,
    )
    data = assert_upload_answer(plain.json(), len(image), "image/png")
    assert data["filePath"] == "b64/dot.png"
    got = await files_api.fetch(data["downloadUrl"])
    assert got.content == image and got.headers["content-type"] == "image/png"

    text = b"hello, imagegate\n"
    data_url = "data:text/plain;charset=utf-8;base64," + base64.b64encode(text).decode()
    as_url = await files_api.client.post(
        "/api/file-base64-upload",
        json={"base64Data": data_url, "uploadPath": "notes"},
        headers={"X-API-KEY": files_api.key},
    )
    data = assert_upload_answer(as_url.json(), len(text), "text/plain")
    assert data["fileName"].endswith(".txt")
    got = await files_api.fetch(data["downloadUrl"])
    assert got.content == text and got.headers["content-type"].startswith("text/plain")


async def test_url_upload_from_a_loopback_server(files_api: FilesApi, loopback: Any) -> None:
    body = b"col1,col2\n1,2\n"
    loopback.responses["/data/table.csv"] = (200, "text/csv", body)
    response = await files_api.client.post(
        "/api/file-url-upload",
        json={"fileUrl": loopback.url("/data/table.csv"), "uploadPath": "fetched"},
        headers=files_api.auth,
    )
    assert response.status_code == 200, response.text
    data = assert_upload_answer(response.json(), len(body), "text/csv")
    assert data["fileName"].endswith(".csv")
    got = await files_api.fetch(data["downloadUrl"])
    assert got.content == body and got.headers["content-type"].startswith("text/csv")


async def test_url_upload_of_a_missing_file_is_400(files_api: FilesApi, loopback: Any) -> None:
    response = await files_api.client.post(
        "/api/file-url-upload",
        json={"fileUrl": loopback.url("/nothing-here"), "uploadPath": "fetched"},
        headers=files_api.auth,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["code"] == 400
    assert "HTTP 404" in body["msg"]


async def test_url_upload_to_loopback_is_refused_without_the_allowlist(
    open_api: OpenApi, loopback: Any
) -> None:
    loopback.serve_image("/img.png")
    async with open_api(url_allowlist=[]) as api:
        response = await api.client.post(
            "/api/file-url-upload",
            json={"fileUrl": loopback.url("/img.png"), "uploadPath": "fetched"},
            headers=api.auth,
        )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["code"] == 400
    assert "loopback" in body["msg"] and "fileUrl" in body["msg"]


class RedirectingServer:
    """Answers every GET with a redirect to ``target`` (a loopback server of its own)."""

    def __init__(self, target: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def redirect_to_loopback(loopback: Any) -> Iterator[tuple[RedirectingServer, bytes]]:
    image = png_bytes()
    loopback.responses["/final.png"] = (200, "image/png", image)
    server = RedirectingServer(loopback.url("/final.png"))
    yield server, image
    server.close()


async def test_url_upload_follows_and_revets_redirects(
    open_api: OpenApi, redirect_to_loopback: tuple[RedirectingServer, bytes]
) -> None:
    server, image = redirect_to_loopback
    start = f"http://localhost:{server.port}/start"
    # Allowed by name only: the redirect to the 127.0.0.1 literal must be vetted on its own.
    async with open_api(url_allowlist=["localhost"]) as api:
        refused = await api.client.post(
            "/api/file-url-upload", json={"fileUrl": start, "uploadPath": "r"}, headers=api.auth
        )
    assert refused.status_code == 400
    assert "127.0.0.1" in refused.json()["msg"]

    async with open_api() as api:  # loopback allowed by address and name
        ok = await api.client.post(
            "/api/file-url-upload", json={"fileUrl": start, "uploadPath": "r"}, headers=api.auth
        )
        assert ok.status_code == 200, ok.text
        data = assert_upload_answer(ok.json(), len(image), "image/png")
        assert (await api.fetch(data["downloadUrl"])).content == image


# ------------------------------------------------------------------ upload refusals


async def test_oversized_uploads_are_413_in_the_upload_envelope(
    open_api: OpenApi, loopback: Any
) -> None:
    big = b"x" * 2000
    loopback.responses["/big.bin"] = (200, "application/octet-stream", big)
    async with open_api(max_upload_bytes=1000) as api:
        answers = [
            await api.upload_stream(big, filename="big.bin", ctype="application/octet-stream"),
            # A body far past the limit is refused before it is parsed.
            await api.upload_stream(b"x" * 200_000, filename="huge.bin"),
            await api.client.post(
                "/api/file-base64-upload",
                json={"base64Data": base64.b64encode(big).decode(), "uploadPath": "p"},
                headers=api.auth,
            ),
            await api.client.post(
                "/api/file-url-upload",
                json={"fileUrl": loopback.url("/big.bin"), "uploadPath": "p"},
                headers=api.auth,
            ),
        ]
        for response in answers:
            assert response.status_code == 413, response.text
            body = response.json()
            assert body["success"] is False and body["code"] == 413 and body["data"] is None
            assert "1000" in body["msg"]
        assert await api.runtime.files.expired(now=now_ms() + 10**12) == []  # nothing stored


@pytest.mark.parametrize(
    ("endpoint", "body", "named"),
    [
        ("/api/file-base64-upload", {"base64Data": "aGk="}, "uploadPath"),
        ("/api/file-base64-upload", {"uploadPath": "p"}, "base64Data"),
        ("/api/file-url-upload", {"uploadPath": "p"}, "fileUrl"),
        ("/api/file-url-upload", {"fileUrl": "http://127.0.0.1:9/x"}, "uploadPath"),
        ("/api/file-base64-upload", {"base64Data": "not base64!!", "uploadPath": "p"},
         "base64Data"),
        ("/api/file-base64-upload", {"base64Data": "aGk=", "uploadPath": "../etc"}, "uploadPath"),
        ("/api/file-base64-upload", {"base64Data": "aGk=", "uploadPath": "p",
                                     "fileName": "../../x"}, "fileName"),
    ],
)
async def test_json_upload_refusals_are_400_naming_the_field(
    files_api: FilesApi, endpoint: str, body: dict[str, Any], named: str
) -> None:
    response = await files_api.client.post(endpoint, json=body, headers=files_api.auth)
    assert response.status_code == 400
    answer = response.json()
    assert answer["success"] is False and answer["code"] == 400
    assert named in answer["msg"]


async def test_stream_upload_refusals(files_api: FilesApi) -> None:
    no_path = await files_api.upload_stream(b"abc", fields={})
    assert no_path.status_code == 400 and "uploadPath" in no_path.json()["msg"]
    no_file = await files_api.client.post(
        "/api/file-stream-upload", files={"uploadPath": (None, "p")}, headers=files_api.auth
    )
    assert no_file.status_code == 400 and "file is required" in no_file.json()["msg"]
    assert no_file.json()["success"] is False


async def test_upload_path_is_made_safe(files_api: FilesApi) -> None:
    response = await files_api.upload_stream(
        b"abc", filename="a.txt", ctype="text/plain",
        fields={"uploadPath": "/abs//my folder/./x", "fileName": "ré sumé.txt"},
    )
    data = response.json()["data"]
    assert data["filePath"] == "abs/my_folder/x/r_sum_.txt"
    assert (await files_api.fetch(data["downloadUrl"])).content == b"abc"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_uploads_need_a_key(files_api: FilesApi, headers: dict[str, str]) -> None:
    response = await files_api.client.post(
        "/api/file-base64-upload", json={"base64Data": "aGk=", "uploadPath": "p"},
        headers=headers,
    )
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False and body["code"] == 401


# ------------------------------------------------------------------ serving refusals


async def test_bad_signature_and_expired_links_are_403(files_api: FilesApi) -> None:
    data = (await files_api.upload_stream(png_bytes())).json()["data"]
    url = data["downloadUrl"]
    sig = query_of(url)["sig"]
    forged = url.replace(sig, ("A" if sig[0] != "A" else "B") + sig[1:])
    unsigned = url.split("?")[0]
    key = files_api.runtime.signer.key_of_own_url(url)
    assert key is not None
    expired = files_api.runtime.signer.url(key, now_ms() - 1000)
    for link in (forged, unsigned, expired):
        response = await files_api.fetch(link)
        assert response.status_code == 403, link
        body = response.json()
        assert body["code"] == 403 and body["msg"]
        assert response.content != png_bytes()


async def test_unknown_and_deleted_files_are_404(files_api: FilesApi) -> None:
    runtime = files_api.runtime
    unknown = runtime.signer.url("uploads/nobody/none.png", now_ms() + 60_000)
    response = await files_api.fetch(unknown)
    assert response.status_code == 404 and response.json()["code"] == 404

    data = (await files_api.upload_stream(png_bytes())).json()["data"]
    assert (await files_api.fetch(data["downloadUrl"])).status_code == 200
    # Four days later the janitor has removed it; the link is still validly signed.
    assert await runtime.janitor.sweep(now=now_ms() + 4 * 86_400_000) == 1
    gone = await files_api.fetch(data["downloadUrl"])
    assert gone.status_code == 404 and gone.json()["code"] == 404


# ------------------------------------------------------------------ download-url


async def test_download_url_for_an_own_file(files_api: FilesApi) -> None:
    image = png_bytes()
    data = (await files_api.upload_stream(image)).json()["data"]
    response = await files_api.client.post(
        "/api/v1/common/download-url", json={"url": data["downloadUrl"]}, headers=files_api.auth
    )
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 200 and body["msg"] == "success"
    fresh = body["data"]
    assert isinstance(fresh, str) and fresh != data["downloadUrl"]
    assert abs(int(query_of(fresh)["expires"]) - (time.time() + 20 * 60)) < 60
    got = await files_api.fetch(fresh)
    assert got.content == image and got.headers["content-type"] == "image/png"


async def test_download_url_refuses_foreign_and_other_accounts_files(
    files_api: FilesApi,
) -> None:
    runtime = files_api.runtime
    _, other_key = await create_account(runtime.store, AccountRequest("other", 10))
    theirs = await files_api.client.post(
        "/api/file-base64-upload",
        json={"base64Data": "aGk=", "uploadPath": "p"},
        headers={"Authorization": f"Bearer {other_key}"},
    )
    their_url = theirs.json()["data"]["downloadUrl"]
    candidates = [
        "https://file.aiquickdraw.com/custom-page/akr/section-images/1.webp",
        their_url,
        their_url.replace(BASE, "https://elsewhere.example"),
    ]
    for url in candidates:
        response = await files_api.client.post(
            "/api/v1/common/download-url", json={"url": url}, headers=files_api.auth
        )
        assert response.status_code == 422, url
        body = response.json()
        assert body["code"] == 422 and "url" in body["msg"]
    # The owner may.
    ok = await files_api.client.post(
        "/api/v1/common/download-url", json={"url": their_url},
        headers={"Authorization": f"Bearer {other_key}"},
    )
    assert ok.status_code == 200 and ok.json()["data"].startswith(BASE + "/files/uploads/")


async def test_download_url_without_url_is_422_naming_it(files_api: FilesApi) -> None:
    response = await files_api.client.post(
        "/api/v1/common/download-url", json={}, headers=files_api.auth
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 422 and body["msg"].startswith("url")
    assert "success" not in body
    no_key = await files_api.client.post("/api/v1/common/download-url", json={"url": "x"})
    assert no_key.status_code == 401
