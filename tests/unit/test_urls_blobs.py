"""UrlSigner (sign, verify, expiry, tampering, own-URL recognition), reading our own links
from the store, and LocalBlobStore."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from imagegate.errors import BlobNotFound, OwnLinkRefused
from imagegate.storage.blobstore import LocalBlobStore, MemoryBlobStore
from imagegate.storage.own_files import OwnFile, open_own_link, read_own_file
from imagegate.storage.urls import OwnFileUrl, UrlSigner

PUBLIC = "https://img.example.com"


def parts(url: str) -> tuple[str, int, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path, int(query["expires"][0]), query["sig"][0]


def in_an_hour_ms() -> int:
    return int((time.time() + 3600) * 1000)


# ------------------------------------------------------------------ UrlSigner


def test_url_shape_and_verify_round_trip() -> None:
    signer = UrlSigner(b"secret", PUBLIC + "/")
    expires_ms = in_an_hour_ms()
    url = signer.url("uploads/acc/images/abc-photo.png", expires_ms)
    path, expires, sig = parts(url)
    assert url.startswith(f"{PUBLIC}/files/uploads/acc/images/abc-photo.png?")
    assert path == "/files/uploads/acc/images/abc-photo.png"
    assert expires == expires_ms // 1000
    assert signer.verify("uploads/acc/images/abc-photo.png", expires, sig)


def test_same_key_and_expiry_give_the_same_url() -> None:
    signer = UrlSigner(b"secret", PUBLIC)
    expires_ms = in_an_hour_ms()
    assert signer.url("a/b.png", expires_ms) == signer.url("a/b.png", expires_ms)


def test_expired_signature_is_refused() -> None:
    signer = UrlSigner(b"secret", PUBLIC)
    _, expires, sig = parts(signer.url("a/b.png", in_an_hour_ms()))
    assert signer.verify("a/b.png", expires, sig, now=expires - 1)
    assert not signer.verify("a/b.png", expires, sig, now=expires + 1)


@pytest.mark.parametrize("tamper", ["key", "expires", "sig", "secret"])
def test_tampered_urls_are_refused(tamper: str) -> None:
    signer = UrlSigner(b"secret", PUBLIC)
    _, expires, sig = parts(signer.url("a/b.png", in_an_hour_ms()))
    key = "a/c.png" if tamper == "key" else "a/b.png"
    if tamper == "expires":
        expires += 3600  # a longer life needs a new signature
    if tamper == "sig":
        sig = ("A" if sig[0] != "A" else "B") + sig[1:]
    checker = UrlSigner(b"other secret", PUBLIC) if tamper == "secret" else signer
    assert not checker.verify(key, expires, sig)


def test_key_of_own_url() -> None:
    signer = UrlSigner(b"secret", PUBLIC + "/base")
    url = signer.url("results/2026/11/21/t1/0 final.png", in_an_hour_ms())
    assert "0%20final.png" in url  # keys are quoted in the path and unquoted back
    assert signer.key_of_own_url(url) == "results/2026/11/21/t1/0 final.png"


def test_key_of_own_url_refuses_other_hosts_and_bad_links() -> None:
    signer = UrlSigner(b"secret", PUBLIC)
    url = signer.url("a/b.png", in_an_hour_ms())
    other_host = url.replace("img.example.com", "evil.example.com")
    assert UrlSigner(b"secret", "https://evil.example.com").key_of_own_url(url) is None
    assert signer.key_of_own_url(other_host) is None
    assert signer.key_of_own_url(url.replace("a/b.png", "a/c.png")) is None
    assert signer.key_of_own_url(url.split("&sig=")[0]) is None  # no signature
    assert signer.key_of_own_url("https://elsewhere.example/files/a/b.png") is None
    expired = signer.url("a/b.png", int((time.time() - 10) * 1000))
    assert signer.key_of_own_url(expired) is None


def test_own_file_url_says_why_a_link_of_ours_cannot_be_used() -> None:
    signer = UrlSigner(b"secret", PUBLIC)
    url = signer.url("a/b.png", in_an_hour_ms())
    assert signer.own_file_url(url) == OwnFileUrl("a/b.png", None)
    assert signer.own_file_url("https://elsewhere.example/files/a/b.png") is None
    assert signer.own_file_url(PUBLIC + "/other/a/b.png") is None
    forged = signer.own_file_url(url.replace("sig=", "sig=x"))
    assert forged is not None and forged.key == "a/b.png"
    assert forged.problem == "is not signed by this server (wrong signature)"
    unsigned = signer.own_file_url(url.split("?")[0])
    assert unsigned is not None and unsigned.problem is not None
    assert "no expires and sig" in unsigned.problem
    expired = signer.own_file_url(signer.url("a/b.png", int((time.time() - 10) * 1000)))
    assert expired == OwnFileUrl("a/b.png", "has expired (ask for a fresh link)")
    # A forged link is reported as forged even when its expiry has passed too.
    old_forged = signer.url("a/b.png", int((time.time() - 10) * 1000)).replace("sig=", "sig=x")
    assert signer.own_file_url(old_forged) == OwnFileUrl(
        "a/b.png", "is not signed by this server (wrong signature)"
    )


async def test_open_own_link_reads_the_store_or_says_why_not() -> None:
    signer = UrlSigner(b"secret", PUBLIC)
    blobs = MemoryBlobStore()
    await blobs.put("a/b.png", b"bytes", "image/png")
    url = signer.url("a/b.png", in_an_hour_ms())
    assert await open_own_link(signer, blobs, f"  {url} ") == OwnFile("a/b.png", b"bytes")
    assert await read_own_file(signer, blobs, url) == b"bytes"
    assert await read_own_file(signer, blobs, "https://elsewhere.example/x.png") is None
    with pytest.raises(OwnLinkRefused, match="this server's file link has expired"):
        await open_own_link(signer, blobs, signer.url("a/b.png", 1000))
    with pytest.raises(OwnLinkRefused, match="no longer has"):
        await open_own_link(signer, blobs, signer.url("a/gone.png", in_an_hour_ms()))


# ------------------------------------------------------------------ LocalBlobStore


async def test_local_put_get_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "files")
    await store.put("uploads/acc/x/1-a.bin", b"\x00hello", "application/octet-stream")
    assert (tmp_path / "files/uploads/acc/x/1-a.bin").read_bytes() == b"\x00hello"
    assert await store.exists("uploads/acc/x/1-a.bin")
    assert await store.get("uploads/acc/x/1-a.bin") == b"\x00hello"
    await store.delete("uploads/acc/x/1-a.bin")
    assert not await store.exists("uploads/acc/x/1-a.bin")
    with pytest.raises(BlobNotFound):
        await store.get("uploads/acc/x/1-a.bin")
    await store.delete("uploads/acc/x/1-a.bin")  # deleting twice is fine


async def test_local_put_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("k/v.txt", b"first", "text/plain")
    await store.put("k/v.txt", b"second", "text/plain")
    assert await store.get("k/v.txt") == b"second"
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["v.txt"]


async def test_local_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("k/v.txt", b"old", "text/plain")
    with pytest.raises(TypeError):
        await store.put("k/v.txt", "not bytes", "text/plain")  # type: ignore[arg-type]
    assert await store.get("k/v.txt") == b"old"
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["v.txt"]


@pytest.mark.parametrize(
    "key", ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "a\\..\\b", ""]
)
async def test_keys_that_escape_the_root_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "root")
    with pytest.raises(ValueError):
        await store.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        await store.get(key)
    with pytest.raises(ValueError):
        await store.delete(key)
    assert not (tmp_path / "escape.txt").exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


async def test_memory_store_refuses_escaping_keys_too() -> None:
    store = MemoryBlobStore()
    with pytest.raises(ValueError):
        await store.put("../x", b"x", "text/plain")
    await store.put("a/b", b"x", "text/plain")
    assert await store.get("a/b") == b"x"
