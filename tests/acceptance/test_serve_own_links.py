"""`imagegate serve` on loopback with the outbound policy at its default (no private or
loopback host may be fetched): its own signed file links are still usable where a client passes
a URL, read where they are stored. ``/api/file-url-upload`` copies one into a new upload and a
task takes one as an input image; a forged or expired own link is refused naming the field
(at create, for a task), and any other loopback URL stays refused."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from PIL import Image

from imagegate.storage.urls import UrlSigner

pytestmark = pytest.mark.acceptance

SECRET = "own-links-test-secret"


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def strict(servers: Any, make_api: Any) -> Iterator[Any]:
    """A server whose policy refuses loopback (empty allow-list), its secret known here so a
    test can sign a link exactly as the server does."""
    server = servers.start(env={"IMAGEGATE_URL_ALLOWLIST": "", "IMAGEGATE_SECRET_KEY": SECRET})
    key = server.printed_key()
    assert key, server.output()
    api = make_api(server, key)
    yield api
    api.close()


def expired_twin(api: Any, link: str) -> str:
    """``link`` signed the server's way, but with an expiry a minute ago."""
    key = unquote(urlsplit(link).path.removeprefix("/files/"))
    signer = UrlSigner(SECRET.encode(), api.server.base_url)
    return signer.url(key, int(time.time() - 60) * 1000)


def upload_base64(api: Any, data: bytes, name: str = "source.png") -> dict[str, Any]:
    answer = api.http.post("/api/file-base64-upload", headers=api.auth, json={
        "base64Data": base64.b64encode(data).decode(), "uploadPath": "src", "fileName": name,
    })
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def upload_url(api: Any, url: str, **extra: str) -> httpx.Response:
    response: httpx.Response = api.http.post("/api/file-url-upload", headers=api.auth, json={
        "fileUrl": url, "uploadPath": "copies", **extra,
    })
    return response


def test_an_own_link_is_uploaded_from_storage(strict: Any) -> None:
    data = png()
    source = upload_base64(strict, data)
    assert source["downloadUrl"].startswith(f"{strict.server.base_url}/files/")

    answer = upload_url(strict, source["downloadUrl"])
    assert answer.status_code == 200, answer.text
    copy = answer.json()["data"]
    # Named as any upload without a fileName: a fresh name with the type's extension.
    assert (copy["fileSize"], copy["mimeType"]) == (len(data), "image/png")
    assert copy["fileName"].endswith(".png") and copy["filePath"] == f"copies/{copy['fileName']}"
    assert copy["downloadUrl"] != source["downloadUrl"]
    assert httpx.get(copy["downloadUrl"], timeout=10).content == data

    named = upload_url(strict, copy["downloadUrl"], fileName="again.png")
    assert named.status_code == 200, named.text
    assert named.json()["data"]["filePath"] == "copies/again.png"
    assert httpx.get(named.json()["data"]["downloadUrl"], timeout=10).content == data


def test_another_loopback_url_is_still_refused(strict: Any, image_host: Any) -> None:
    answer = upload_url(strict, image_host.url("/input.png"))
    assert answer.status_code == 400, answer.text
    assert answer.json()["success"] is False
    assert answer.json()["msg"].startswith("fileUrl is not allowed")


def test_a_forged_or_expired_own_link_is_422_naming_file_url(strict: Any) -> None:
    source = upload_base64(strict, png())
    forged = source["downloadUrl"].replace("sig=", "sig=x")
    answer = upload_url(strict, forged)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["success"], body["code"]) == (False, 422)
    assert body["msg"].startswith("fileUrl: ") and "not signed by this server" in body["msg"]

    answer = upload_url(strict, expired_twin(strict, source["downloadUrl"]))
    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"].startswith("fileUrl: ") and "expired" in answer.json()["msg"]


def test_a_task_takes_an_own_link_as_its_input_image(strict: Any) -> None:
    source = upload_base64(strict, png((64, 48)))
    task_id = strict.create_ok({"model": "google/nano-banana-edit", "input": {
        "prompt": "x", "image_urls": [source["downloadUrl"]],
    }})
    data = strict.wait_state(task_id)
    assert data["state"] == "success", data


def test_a_task_given_an_expired_own_link_is_refused_at_create(strict: Any) -> None:
    # Refused at once, as fileUrl is (no task, nothing charged); a link that expires while its
    # task waits is refused by the worker's read (tests/integration/test_fetch.py).
    source = upload_base64(strict, png())
    before = strict.http.get("/api/v1/chat/credit", headers=strict.auth).json()["data"]
    answer = strict.http.post("/api/v1/jobs/createTask", headers=strict.auth, json={
        "model": "google/nano-banana-edit",
        "input": {"prompt": "x", "image_urls": [expired_twin(strict, source["downloadUrl"])]},
    })
    assert answer.status_code == 422, answer.text
    msg = answer.json()["msg"]
    assert msg.startswith("input.image_urls[0]: ") and "expired" in msg, msg
    assert strict.http.get("/api/v1/chat/credit", headers=strict.auth).json()["data"] == before
