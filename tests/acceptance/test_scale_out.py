"""The scale-out topology with real processes: two API processes (`serve --no-worker`) and two
`imagegate worker` processes on one PostgreSQL database and one S3 bucket (moto on loopback).
Tasks created on either API are run by the workers, end once, are charged once, and their
results are read back from the bucket through either API."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from s3server import S3Server

pytestmark = pytest.mark.acceptance

ADMIN_KEY = "scale-out-admin-key"


def test_two_apis_and_two_workers_share_postgres_and_s3(
    servers: Any, make_api: Any, postgres_url: str, tmp_path: Path, imagegate_command: Path,
    env_for: Any,
) -> None:
    with S3Server() as s3:
        shared = {
            "IMAGEGATE_DATABASE_URL": postgres_url,
            "IMAGEGATE_BLOB_STORE_URL": "s3://imagegate-results/fleet",
            "IMAGEGATE_S3_ENDPOINT_URL": s3.endpoint_url,
            "IMAGEGATE_S3_ACCESS_KEY_ID": s3.access_key_id,
            "IMAGEGATE_S3_SECRET_ACCESS_KEY": s3.secret_access_key,
            # One fleet, one secret: a file URL signed by one API is valid on the other.
            "IMAGEGATE_SECRET_KEY": "fleet-secret",
            "IMAGEGATE_ADMIN_KEY": ADMIN_KEY,
            "IMAGEGATE_WORKER_CONCURRENCY": "0",
        }
        first = servers.start(env=shared)
        second = servers.start(env=shared)
        key = first.printed_key()
        assert key, first.output()
        assert second.printed_key() is None  # the database was made once, by the first
        workers = [
            subprocess.Popen(
                [str(imagegate_command), "worker", "--concurrency", "4", "--data-dir",
                 str(tmp_path / f"worker{i}")],
                env=env_for({**shared, "IMAGEGATE_WORKER_CONCURRENCY": "4"}),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            for i in range(2)
        ]
        apis = [make_api(first, key), make_api(second, key)]
        try:
            before = apis[0].balance()
            body = {"model": "google/nano-banana", "input": {"prompt": "a fleet of boats"}}
            task_ids = [apis[i % 2].create_ok(body) for i in range(20)]
            records = [apis[(i + 1) % 2].wait_state(t, timeout=60) for i, t in enumerate(task_ids)]
            after = apis[1].balance()
            url = json.loads(records[0]["resultJson"])["resultUrls"][0]
            image = httpx.get(url, timeout=10)
            # The other API serves the same file from the bucket.
            other = httpx.get(url.replace(first.base_url, second.base_url), timeout=10)
        finally:
            for api in apis:
                api.close()
            outputs = []
            for process in workers:
                process.terminate()
                outputs.append(process.communicate(timeout=20)[0].decode(errors="replace"))
        assert all(r["state"] == "success" for r in records), records
        assert {r["engine"] for r in records} == {"mock"}
        assert before - after == pytest.approx(20 * 4.0)  # 4 credits each, charged once
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert other.status_code == 200 and other.content == image.content
        stored = s3.client().list_objects_v2(Bucket="imagegate-results", Prefix="fleet/results/")
        assert stored["KeyCount"] == 20
        for output in outputs:
            assert "imagegate worker" in output, output
