"""S3BlobStore: blobs as objects in one S3 bucket (AWS or any S3-compatible endpoint).

Why: with scale-out, API processes and workers run on different machines, and a directory under
one machine's data_dir is no longer a place they all see. A bucket is: a worker writes a result
there and any API process can serve it. MinIO, Ceph's RGW, Garage and the like speak the same
protocol, so ``endpoint_url`` points the store at them (path-style addressing, which they need).

imagegate's own signed ``/files/`` URLs (storage/urls.py) stay the public interface whatever the
store: the API reads blobs through the BlobStore, so clients never learn where bytes live and
links keep their Kie-compatible shape. :meth:`S3BlobStore.presigned_url` is an option on top,
for operators who want clients to fetch straight from the bucket: S3's own signed GET URL,
which expires on its own.

boto3 is blocking, so every call runs in a thread (``asyncio.to_thread``); its low-level client
is thread-safe and is created once per store.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from imagegate.errors import BlobNotFound
from imagegate.storage.blobstore import check_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# SigV4 presigned URLs may live at most 7 days.
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600

# Error codes S3 (and the compatible servers) answer for an object or bucket that is not there.
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def make_client(
    *,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> S3Client:
    """A boto3 S3 client with bounded timeouts and retries.

    Credentials left out come from boto3's own chain (``AWS_*`` variables, profiles, roles).
    """
    if bool(access_key_id) != bool(secret_access_key):
        raise ValueError("S3 credentials need both an access key id and a secret access key")
    config = Config(
        region_name=region,
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=60,
        # "standard" retries throttling and transient errors with backoff, 3 attempts in all.
        retries={"max_attempts": 3, "mode": "standard"},
        # Enough connections for asyncio.to_thread's default pool.
        max_pool_connections=32,
        # S3-compatible servers on their own host name rarely have wildcard DNS for
        # virtual-hosted buckets; AWS itself prefers virtual-hosted addressing.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint_url or None,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=config,
    )


class S3BlobStore:
    """A BlobStore over one bucket; keys are stored under ``prefix`` (``a/b`` → ``a/b/KEY``)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3BlobStore needs a bucket name")
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.prefix = f"{check_key(prefix)}/" if prefix else ""
        self.region = region
        self.client: S3Client = client or make_client(
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )

    def object_key(self, key: str) -> str:
        """The S3 object key of blob ``key`` (checked, under the prefix)."""
        return self.prefix + check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self.object_key(key),
            Body=data,
            ContentType=content_type,
        )

    def _get(self, object_key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise BlobNotFound(object_key) from exc
            raise
        with response["Body"] as body:
            return body.read()

    async def get(self, key: str) -> bytes:
        object_key = self.object_key(key)
        try:
            return await asyncio.to_thread(self._get, object_key)
        except BlobNotFound as exc:
            raise BlobNotFound(key) from exc

    async def delete(self, key: str) -> None:
        # S3's DeleteObject succeeds for a key that is not there, like unlink(missing_ok=True).
        await asyncio.to_thread(
            self.client.delete_object, Bucket=self.bucket, Key=self.object_key(key)
        )

    def _exists(self, object_key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return False
            raise
        return True

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._exists, self.object_key(key))

    def presigned_url(self, key: str, expires_in_seconds: int) -> str:
        """S3's own signed GET URL of ``key``, valid for ``expires_in_seconds`` (at most 7 days).

        Computed locally (no request); it does not check that the blob exists.
        """
        if not 1 <= expires_in_seconds <= MAX_PRESIGNED_SECONDS:
            raise ValueError(
                f"expires_in_seconds must be 1..{MAX_PRESIGNED_SECONDS}, not {expires_in_seconds}"
            )
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.object_key(key)},
            ExpiresIn=int(expires_in_seconds),
        )

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _error_code(exc) not in _MISSING:
                raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":  # us-east-1 is S3's default and refuses the constraint
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as exc:
            # Another process of ours made it between the two calls (BucketAlreadyExists, a
            # bucket of someone else's, is an error).
            if _error_code(exc) != "BucketAlreadyOwnedByYou":
                raise

    async def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (tests, a first start against an empty server)."""
        await asyncio.to_thread(self._ensure_bucket)

    def close(self) -> None:
        """Close the client's connection pool."""
        self.client.close()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"
