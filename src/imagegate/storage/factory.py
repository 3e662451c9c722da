"""The BlobStore the settings name: a directory under data_dir, or an S3 bucket."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from imagegate.settings import Settings
from imagegate.storage.blobstore import BlobStore, LocalBlobStore, check_key

# S3's bucket rules, loosely: 3 to 63 lowercase letters, digits, dots, hyphens (and the
# underscores some S3-compatible servers allow), starting and ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/optional/prefix`` → (bucket, prefix); ValueError for anything else."""
    hint = "blob_store_url must look like s3://bucket or s3://bucket/prefix"
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"{hint}, not {url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise ValueError(f"{hint} (no credentials, port, query or fragment), not {url!r}")
    bucket = parts.netloc
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"{hint}: {bucket!r} is not a valid bucket name")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_key(prefix)
        except ValueError:
            raise ValueError(f"{hint}: {prefix!r} is not a valid prefix") from None
    return bucket, prefix


def open_blobstore(settings: Settings, data_dir: Path) -> BlobStore:
    """LocalBlobStore(data_dir / "files") unless ``blob_store_url`` names an S3 bucket."""
    if not settings.blob_store_url:
        return LocalBlobStore(data_dir / "files")
    bucket, prefix = parse_s3_url(settings.blob_store_url)
    # Imported here so that the local topology never loads boto3.
    from imagegate.storage.s3 import S3BlobStore

    return S3BlobStore(
        bucket,
        prefix=prefix,
        endpoint_url=settings.s3_endpoint_url or None,
        region=settings.s3_region or "us-east-1",
        access_key_id=settings.s3_access_key_id or None,
        secret_access_key=settings.s3_secret_access_key or None,
    )
