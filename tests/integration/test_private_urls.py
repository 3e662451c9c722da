"""Issue 20, point 8: a URL that names a private, loopback, link-local or metadata address, in
any spelling, is refused when the task is created (422 naming the field; no task, nothing
charged), as an image URL of any model and as the callback URL of every surface, instead of
being charged, failed and refunded by the worker (an image) or going quietly dead (a callback).

The runtime here has an empty allow-list, as a server has by default (the other tests allow
127.0.0.1). The check reads the URL alone (no DNS lookup at create): a name that resolves to
such an address is still refused where the URL is used. The server's own file links stay
accepted though they are loopback here: they are read from storage, never fetched."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from imagegate.catalog import all_models

REFRAME = {"model": "ideogram/v3-reframe", "input": {"image_size": "square_hd"}}
PUBLIC = "https://example.com/a.png"

# The address each spelling really names, in the comment after it.
SPELLINGS = [
    "http://127.0.0.1/a.png",
    "http://127.1/a.png",  # 127.0.0.1: inet_aton's short forms
    "http://127.0.1/a.png",
    "http://2130706433/a.png",  # 127.0.0.1 as one decimal number
    "http://017700000001/a.png",  # ... one octal number
    "http://0x7f000001/a.png",  # ... one hex number
    "http://0x7f.0.0.1/a.png",  # hex and octal parts
    "http://0177.0.0.1/a.png",
    "http://127.000.000.001/a.png",
    "http://%31%32%37.0.0.1/a.png",  # percent-escaped digits
    "http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/a.png",  # full-width digits
    "http://127\u30020\u30020\u30021/a.png",  # ideographic full stops
    "http://user:secret@127.0.0.1:8080/a.png",
    "http://[::1]/a.png",
    "http://[0:0:0:0:0:0:0:1]/a.png",
    "http://[::ffff:127.0.0.1]/a.png",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/a.png",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/a.png",
    "http://[64:ff9b::7f00:1]/a.png",  # NAT64 of 127.0.0.1
    "http://[2002:7f00:1::]/a.png",  # 6to4 of 127.0.0.1
    "http://[::127.0.0.1]/a.png",  # IPv4-compatible (deprecated) IPv6
    "http://[fe80::1]/a.png",  # IPv6 link-local
    "http://[fe80::1%25eth0]/a.png",  # ... with a zone
    "http://[fd00:ec2::254]/latest/meta-data/",  # IPv6 unique-local (AWS's metadata)
    "http://[fc00::1]/a.png",
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata address
    "http://2852039166/latest/meta-data/",  # ... as one decimal number
    "http://0xa9fea9fe/latest/meta-data/",  # ... as one hex number
    "http://0251.0376.0251.0376/latest/",  # ... in octal parts
    "http://[::ffff:169.254.169.254]/latest/",  # ... mapped into IPv6
    "http://169.254.1.1/a.png",  # link-local
    "http://10.0.0.1/a.png",  # private
    "http://10.1/a.png",  # 10.0.0.1
    "http://172.16.0.1/a.png",
    "http://192.168.1.20/a.png",
    "http://100.64.0.1/a.png",  # shared address space (carrier NAT; Alibaba's metadata)
    "http://0.0.0.0/a.png",
    "http://0/a.png",  # 0.0.0.0
    "http://localhost/a.png",
    "http://LOCALHOST./a.png",
    "http://localhost:8080/a.png",
    "http://api.localhost/a.png",  # RFC 6761: every *.localhost is loopback
    "http://localhost.localdomain/a.png",
    "http://ip6-localhost/a.png",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
    "http://metadata/computeMetadata/v1/",
    "http://instance-data/latest/meta-data/",
]


@pytest.fixture
async def strict(runtime_factory: Any, harness_opener: Any) -> AsyncIterator[Any]:
    """The API with an empty allow-list, over the memory store, without a worker; its own
    file links are loopback (``public_url`` 127.0.0.1), as a server's often are."""
    runtime = runtime_factory(
        database_url="memory://", url_allowlist=[], public_url="http://127.0.0.1:9"
    )
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        yield harness


async def credits(api: Any) -> float:
    return float((await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()["data"])


async def task_count(api: Any) -> int:
    answer = await api.client.get("/api/v1/jobs/list", headers=api.auth)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["data"]["tasks"])


async def refused(
    api: Any, path: str, body: dict[str, Any], field: str, *, count: bool = True
) -> str:
    """POST ``body``; assert a 422 naming ``field`` for its address, with no task made and
    nothing charged (``count`` False: the caller counts, once, under the query rate limit);
    the message."""
    before = await credits(api) if count else None
    answer = await api.client.post(path, json=body, headers=api.auth)
    assert answer.status_code == 422, answer.text
    envelope = answer.json()
    message = str(envelope.get("msg") or envelope.get("message"))
    assert envelope["code"] == 422 and message.startswith(f"{field}: "), envelope
    assert "is not allowed (" in message, message
    if count:
        assert await credits(api) == before and await task_count(api) == 0
    return message


def reframe(url: str) -> dict[str, Any]:
    return {**REFRAME, "input": {**REFRAME["input"], "image_url": url}}


@pytest.mark.parametrize("url", SPELLINGS)
async def test_a_private_image_url_is_refused_at_create(strict: Any, url: str) -> None:
    message = await refused(strict, "/api/v1/jobs/createTask", reframe(url), "input.image_url")
    assert message.startswith("input.image_url: imagegate will not fetch it: ")


@pytest.mark.parametrize("url", SPELLINGS)
async def test_a_private_callback_url_is_refused_at_create(strict: Any, url: str) -> None:
    body = {"model": "google/nano-banana", "input": {"prompt": "x"}, "callBackUrl": url}
    message = await refused(strict, "/api/v1/jobs/createTask", body, "callBackUrl")
    assert message.startswith("callBackUrl: imagegate will not send callbacks there: ")


async def test_the_message_names_the_address_and_its_spelling(strict: Any) -> None:
    message = await refused(
        strict, "/api/v1/jobs/createTask", reframe("http://2130706433/a.png"), "input.image_url"
    )
    assert message == (
        "input.image_url: imagegate will not fetch it: address 127.0.0.1 (written 2130706433)"
        " is not allowed (loopback)"
    )
    message = await refused(
        strict, "/api/v1/jobs/createTask",
        reframe("http://metadata.google.internal/computeMetadata/v1/"), "input.image_url",
    )
    assert message.endswith("host 'metadata.google.internal' is not allowed (cloud metadata)")


# Every surface that creates tasks from URLs: the path, a body with the URL, the field named.
SURFACES: dict[str, tuple[str, Any, str]] = {
    "jobs v1 image_url": ("/api/v1/jobs/createTask", reframe, "input.image_url"),
    "jobs v1 list item": (
        "/api/v1/jobs/createTask",
        lambda url: {"model": "google/nano-banana-edit",
                     "input": {"prompt": "x", "image_urls": [PUBLIC, url]}},
        "input.image_urls[1]",
    ),
    "jobs v1 callBackUrl": (
        "/api/v1/jobs/createTask",
        lambda url: {"model": "google/nano-banana", "input": {"prompt": "x"}, "callBackUrl": url},
        "callBackUrl",
    ),
    "jobs v1 callbackUrl": (
        "/api/v1/jobs/createTask",
        lambda url: {"model": "google/nano-banana", "input": {"prompt": "x"}, "callbackUrl": url},
        "callbackUrl",
    ),
    "jobs v2 callbackUrl": (
        "/api/v2/jobs/createTask",
        lambda url: {"model": "google/nano-banana", "input": {"prompt": "x"}, "callbackUrl": url},
        "callbackUrl",
    ),
    "jobs v2 image_urls": (
        "/api/v2/jobs/createTask",
        lambda url: {"model": "google/nano-banana-edit",
                     "input": {"prompt": "x", "image_urls": [url]}},
        "input.image_urls[0]",
    ),
    "gpt4o filesUrl": (
        "/api/v1/gpt4o-image/generate",
        lambda url: {"prompt": "x", "size": "1:1", "filesUrl": [url]},
        "filesUrl[0]",
    ),
    "gpt4o maskUrl": (
        "/api/v1/gpt4o-image/generate",
        lambda url: {"prompt": "x", "size": "1:1", "filesUrl": [PUBLIC], "maskUrl": url},
        "maskUrl",
    ),
    "gpt4o callBackUrl": (
        "/api/v1/gpt4o-image/generate",
        lambda url: {"prompt": "x", "size": "1:1", "callBackUrl": url},
        "callBackUrl",
    ),
    "flux inputImage": (
        "/api/v1/flux/kontext/generate",
        lambda url: {"prompt": "x", "inputImage": url},
        "inputImage",
    ),
    "flux callBackUrl": (
        "/api/v1/flux/kontext/generate",
        lambda url: {"prompt": "x", "callBackUrl": url},
        "callBackUrl",
    ),
    "per-model reference_image_urls": (
        "/api/v1/ideogram/character",
        lambda url: {"prompt": "x", "reference_image_urls": [url]},
        "reference_image_urls[0]",
    ),
    "per-model callBackUrl": (
        "/api/v1/google/imagen-4",
        lambda url: {"prompt": "x", "callBackUrl": url},
        "callBackUrl",
    ),
}


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize(
    "url",
    ["http://127.1/x", "http://[::ffff:127.0.0.1]/x", "http://169.254.169.254/latest/",
     "http://metadata.google.internal/x"],
)
async def test_every_surface_refuses_a_private_url(strict: Any, surface: str, url: str) -> None:
    path, body, field = SURFACES[surface]
    await refused(strict, path, body(url), field)


def _image_fields() -> list[tuple[str, dict[str, Any], str, bool]]:
    """(model, its example input, an image field, whether it is a list) for every image-URL
    field of every model, in each spelling the model has."""
    found = []
    for spec in all_models():
        for spelling in (spec, spec.other_spelling):
            if spelling is None or not spelling.example:
                continue
            for field in spelling.fields:
                if field.name in spelling.image_inputs():
                    is_list = field.json_schema().get("type") == "array"
                    found.append((spec.name, dict(spelling.example), field.name, is_list))
    return found


IMAGE_FIELDS = _image_fields()


def test_the_catalog_has_image_fields_to_check() -> None:
    models = {model for model, *_ in IMAGE_FIELDS}
    assert len(IMAGE_FIELDS) >= 30 and "nano-banana-pro" in models, IMAGE_FIELDS


async def test_every_image_field_of_every_model_refuses_a_private_url(strict: Any) -> None:
    before = await credits(strict)
    for model, example, field, is_list in IMAGE_FIELDS:
        url = "http://[::ffff:169.254.169.254]/latest/meta-data/"
        value: Any = [url] if is_list else url
        body = {"model": model, "input": {**example, field: value}}
        named = f"input.{field}[0]" if is_list else f"input.{field}"
        await refused(strict, "/api/v1/jobs/createTask", body, named, count=False)
    assert await credits(strict) == before and await task_count(strict) == 0


async def test_public_urls_are_accepted_without_a_dns_lookup(strict: Any) -> None:
    for url in (
        "https://images.invalid/a.png",  # .invalid never resolves: no lookup was made
        "http://8.8.8.8/a.png",
        "http://[2001:4860:4860::8888]/a.png",
        "http://134744072/a.png",  # 8.8.8.8 as one number: an odd spelling, a public address
    ):
        answer = await strict.create({**reframe(url), "callBackUrl": url})
        assert answer.status_code == 200, (url, answer.text)


async def test_the_operators_allow_list_is_honoured(
    runtime_factory: Any, harness_opener: Any
) -> None:
    runtime = runtime_factory(database_url="memory://", url_allowlist=["127.0.0.1", "localhost"])
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        for url in ("http://127.1/a.png", "http://2130706433/a.png",
                    "http://[::ffff:127.0.0.1]/a.png", "http://LOCALHOST./a.png"):
            answer = await harness.create({**reframe(url), "callBackUrl": url})
            assert answer.status_code == 200, (url, answer.text)
        # What the list does not name stays refused.
        await refused_after(harness, reframe("http://10.0.0.1/a.png"), "input.image_url")


async def refused_after(api: Any, body: dict[str, Any], field: str) -> None:
    answer = await api.create(body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"].startswith(f"{field}: imagegate will not fetch it: address")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (5, 6, 7)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_own_file_links_stay_accepted_though_loopback(strict: Any) -> None:
    upload = await strict.client.post(
        "/api/file-base64-upload", headers=strict.auth,
        json={"base64Data": base64.b64encode(_png()).decode(), "uploadPath": "in"},
    )
    link = upload.json()["data"]["downloadUrl"]
    assert link.startswith("http://127.0.0.1:9/files/")

    answer = await strict.create(reframe(link))
    assert answer.status_code == 200, answer.text

    # Another path on the same loopback address is no own link, and a forged one is refused.
    other = "http://127.0.0.1:9/elsewhere/a.png"
    await refused_after(strict, reframe(other), "input.image_url")
    forged = link.replace("sig=", "sig=x")
    answer = await strict.create(reframe(forged))
    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"] == (
        "input.image_url: this server's file link is not signed by this server (wrong signature)"
    )
