"""S3BlobStore against a real S3-compatible server on loopback (moto's, tests/s3server.py).

The BlobStore contract runs on both S3BlobStore and LocalBlobStore; then what only S3 has:
Content-Type on the object, the prefix, presigned URLs; then open_blobstore's choice.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imagegate.errors import BlobNotFound
from imagegate.settings import Settings
from imagegate.storage.blobstore import BlobStore, LocalBlobStore
from imagegate.storage.factory import open_blobstore, parse_s3_url
from imagegate.storage.s3 import S3BlobStore

from s3server import S3Server


def make_settings(data_dir: Path, **values: Any) -> Settings:
    return Settings(data_dir=data_dir, **values)


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture(scope="module")
def s3_client(s3: S3Server) -> Iterator[Any]:
    client = s3.client()
    yield client
    client.close()


def s3_store(s3: S3Server, bucket: str, prefix: str = "", client: Any = None) -> S3BlobStore:
    """A store on the loopback server; ``client`` shares one (making one costs ~0.2 s)."""
    return S3BlobStore(
        bucket,
        prefix=prefix,
        client=client,
        endpoint_url=s3.endpoint_url,
        region=s3.region,
        access_key_id=s3.access_key_id,
        secret_access_key=s3.secret_access_key,
    )


def fresh_bucket() -> str:
    return f"imagegate-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def s3_blobs(s3: S3Server, s3_client: Any) -> S3BlobStore:
    store = s3_store(s3, fresh_bucket(), prefix="tenant/a", client=s3_client)
    await store.ensure_bucket()
    return store


@pytest.fixture(params=["s3", "local"])
async def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "files")
        return
    s3: S3Server = request.getfixturevalue("s3")
    store = s3_store(s3, fresh_bucket(), client=request.getfixturevalue("s3_client"))
    await store.ensure_bucket()
    yield store


# ------------------------------------------------------------------ the contract, both stores


async def test_put_get_round_trip(blobs: BlobStore) -> None:
    await blobs.put("results/2026/11/21/t1/0.png", b"\x89PNG first", "image/png")
    assert await blobs.get("results/2026/11/21/t1/0.png") == b"\x89PNG first"
    await blobs.put("results/2026/11/21/t1/0.png", b"second", "image/png")  # overwrite
    assert await blobs.get("results/2026/11/21/t1/0.png") == b"second"


async def test_missing_key_is_blob_not_found(blobs: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        await blobs.get("uploads/nobody/none.png")
    assert caught.value.args == ("uploads/nobody/none.png",)
    assert isinstance(caught.value, KeyError)  # what callers of the store catch
    assert not await blobs.exists("uploads/nobody/none.png")


async def test_exists_and_idempotent_delete(blobs: BlobStore) -> None:
    await blobs.put("a/b.jpg", b"jpeg", "image/jpeg")
    assert await blobs.exists("a/b.jpg")
    assert not await blobs.exists("a/b")  # a prefix of a key is no blob
    await blobs.delete("a/b.jpg")
    assert not await blobs.exists("a/b.jpg")
    with pytest.raises(BlobNotFound):
        await blobs.get("a/b.jpg")
    await blobs.delete("a/b.jpg")  # again: no error
    await blobs.delete("never/was.png")


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "../escape.png", "a/../../b.png", "a/..", "a\\b.png"]
)
async def test_invalid_keys_are_refused(blobs: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        await blobs.put(key, b"x", "image/png")
    with pytest.raises(ValueError, match="invalid blob key"):
        await blobs.get(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        await blobs.exists(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        await blobs.delete(key)


async def test_binary_data_of_a_few_megabytes(blobs: BlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    await blobs.put("big/blob.bin", data, "application/octet-stream")
    assert await blobs.get("big/blob.bin") == data


async def test_concurrent_puts_and_gets(blobs: BlobStore) -> None:
    keys = [f"many/{i}.png" for i in range(16)]
    await asyncio.gather(*(blobs.put(k, k.encode(), "image/png") for k in keys))
    got = await asyncio.gather(*(blobs.get(k) for k in keys))
    assert got == [k.encode() for k in keys]


# ------------------------------------------------------------------ S3 only


async def test_content_type_and_prefix_are_on_the_object(
    s3_blobs: S3BlobStore, s3_client: Any
) -> None:
    await s3_blobs.put("results/t1/0.webp", b"RIFFwebp", "image/webp")
    head = s3_client.head_object(Bucket=s3_blobs.bucket, Key="tenant/a/results/t1/0.webp")
    assert head["ContentType"] == "image/webp"
    assert head["ContentLength"] == len(b"RIFFwebp")
    listed = s3_client.list_objects_v2(Bucket=s3_blobs.bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["tenant/a/results/t1/0.webp"]


async def test_prefixes_keep_stores_apart(s3: S3Server, s3_blobs: S3BlobStore) -> None:
    # Slashes around a prefix are trimmed.
    other = s3_store(s3, s3_blobs.bucket, prefix="/tenant/b/", client=s3_blobs.client)
    assert other.prefix == "tenant/b/"
    await s3_blobs.put("same/key.png", b"from a", "image/png")
    await other.put("same/key.png", b"from b", "image/png")
    assert await s3_blobs.get("same/key.png") == b"from a"
    assert await other.get("same/key.png") == b"from b"
    await other.delete("same/key.png")
    assert await s3_blobs.exists("same/key.png")
    assert not await other.exists("same/key.png")


async def test_ensure_bucket_creates_once_and_is_idempotent(s3: S3Server, s3_client: Any) -> None:
    bucket = fresh_bucket()
    store = s3_store(s3, bucket)
    names = {b["Name"] for b in s3_client.list_buckets()["Buckets"]}
    assert bucket not in names
    await store.ensure_bucket()
    await store.ensure_bucket()
    names = {b["Name"] for b in s3_client.list_buckets()["Buckets"]}
    assert bucket in names
    store.close()


async def test_a_missing_bucket_is_an_error_not_a_missing_blob(s3: S3Server) -> None:
    store = s3_store(s3, fresh_bucket())  # never created
    with pytest.raises(Exception) as caught:
        await store.put("a.png", b"x", "image/png")
    assert "NoSuchBucket" in str(caught.value)
    store.close()


async def test_presigned_url_serves_the_bytes(s3_blobs: S3BlobStore) -> None:
    data = os.urandom(200_000)
    await s3_blobs.put("results/t2/0.png", data, "image/png")
    url = s3_blobs.presigned_url("results/t2/0.png", 600)
    assert url.startswith(f"{s3_blobs.client.meta.endpoint_url}/{s3_blobs.bucket}/tenant/a/")
    assert "X-Amz-Expires=600" in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-type"] == "image/png"
        # A URL with its signature altered is refused: the server checks what was signed.
        tampered = url.replace("results/t2/0.png", "results/t2/1.png")
        assert (await http.get(tampered)).status_code == 403


async def test_expired_presigned_url_is_refused(s3: S3Server, s3_blobs: S3BlobStore) -> None:
    await s3_blobs.put("results/t3/0.png", b"short-lived", "image/png")
    url = s3_blobs.presigned_url("results/t3/0.png", 60)
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == b"short-lived"
        s3.skew = 61.0  # the server's clock a minute on, rather than a minute's sleep
        try:
            refused = await http.get(url)
        finally:
            s3.skew = 0.0
    assert refused.status_code == 403
    assert b"Request has expired" in refused.content


@pytest.mark.parametrize("seconds", [0, -5, 7 * 24 * 3600 + 1])
def test_presigned_url_lifetime_is_bounded(s3_blobs: S3BlobStore, seconds: int) -> None:
    with pytest.raises(ValueError, match="expires_in_seconds"):
        s3_blobs.presigned_url("a.png", seconds)


def test_presigned_url_refuses_invalid_keys(s3_blobs: S3BlobStore) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        s3_blobs.presigned_url("../other-tenant/a.png", 60)


def test_half_given_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        S3BlobStore("bucket", access_key_id="only-the-id")


def test_invalid_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        S3BlobStore("bucket", prefix="a/../..", access_key_id="k", secret_access_key="s")


# ------------------------------------------------------------------ open_blobstore


def test_open_blobstore_is_local_by_default(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    assert settings.blob_store_url == ""
    store = open_blobstore(settings, tmp_path / "data")
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "data" / "files"
    assert store.root.is_dir()


async def test_open_blobstore_builds_s3_from_settings(tmp_path: Path, s3: S3Server) -> None:
    bucket = fresh_bucket()
    settings = make_settings(
        tmp_path / "data",
        blob_store_url=f"s3://{bucket}/imagegate/prod/",
        s3_endpoint_url=s3.endpoint_url,
        s3_region="eu-west-1",
        s3_access_key_id=s3.access_key_id,
        s3_secret_access_key=s3.secret_access_key,
    )
    store = open_blobstore(settings, tmp_path / "data")
    assert isinstance(store, S3BlobStore)
    assert isinstance(store, BlobStore)
    assert (store.bucket, store.prefix, store.region) == (bucket, "imagegate/prod/", "eu-west-1")
    assert store.client.meta.region_name == "eu-west-1"
    await store.ensure_bucket()  # a region other than us-east-1 needs a LocationConstraint
    await store.put("k/v.png", b"via settings", "image/png")
    assert await store.get("k/v.png") == b"via settings"
    assert not (tmp_path / "data" / "files").exists()  # nothing written locally
    store.close()


def test_open_blobstore_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGEGATE_BLOB_STORE_URL", "s3://env-bucket")
    monkeypatch.setenv("IMAGEGATE_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-aws-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-aws-env-secret")
    store = open_blobstore(make_settings(tmp_path / "data"), tmp_path / "data")
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("env-bucket", "")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    # No IMAGEGATE_S3_* credentials: boto3's own chain (here the AWS_* variables) supplies them.
    assert "from-aws-env" in store.presigned_url("x.png", 60)
    store.close()


@pytest.mark.parametrize(
    "url",
    [
        "bucket/prefix",
        "s3:/bucket",
        "s3://",
        "http://bucket/prefix",
        "gs://bucket",
        "s3://Bad_Bucket",
        "s3://ab",
        "s3://bucket/../up",
        "s3://key:secret@bucket/p",
        "s3://bucket?x=1",
    ],
)
def test_open_blobstore_refuses_a_malformed_url(tmp_path: Path, url: str) -> None:
    settings = make_settings(tmp_path / "data", blob_store_url=url)
    with pytest.raises(ValueError, match="blob_store_url must look like s3://bucket"):
        open_blobstore(settings, tmp_path / "data")


def test_parse_s3_url() -> None:
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    assert parse_s3_url("s3://bucket/") == ("bucket", "")
    assert parse_s3_url("s3://my.bucket-1/a/b/") == ("my.bucket-1", "a/b")
