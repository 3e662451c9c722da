"""The playground's task tracking (web/static/task.js ``follow``) on live events, run by Node
(its fetch and ReadableStream are the browser's) against a real imagegate on loopback: the
states and progress arrive as events and the record ends it, with no recordInfo poll; where
the events route answers 404 (a server without it), ``follow`` polls recordInfo instead.
Skipped, with the reason, where Node is not installed (tests/browser cover the page itself)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from upstreams import UpstreamImagegate

NODE = shutil.which("node")
TASK_JS = Path(__file__).resolve().parents[2] / "src/imagegate/web/static/task.js"
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

# Runs follow() with fetch pointed at the server (the page's paths are relative), every path
# fetched recorded; with NO_EVENTS the events route answers as a server without it would.
# The task's id comes on stdin once Node says it is ready: created before Node started, the
# 2 s task could end while Node was still starting on a loaded machine (pytest -n), and the
# page then saw only its end.
SCRIPT = """
import { follow } from %(module)s;
const [base, key, noEvents] = process.argv.slice(2);
console.log("ready");
let input = "";
for await (const chunk of process.stdin) input += chunk;
const taskId = input.trim();
const fetched = [];
const real = globalThis.fetch;
globalThis.fetch = (path, init) => {
  fetched.push(path.split("?")[0]);
  if (noEvents === "1" && path.startsWith("/api/v1/jobs/events")) {
    return Promise.resolve(new Response('{"code":404,"msg":"Not found","data":null}',
      { status: 404, headers: { "Content-Type": "application/json" } }));
  }
  return real(base + path, init);
};
const updates = [];
const done = await follow(key, taskId, (data) => updates.push({ ...data }));
console.log(JSON.stringify({ fetched, updates, done }));
"""


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[UpstreamImagegate]:
    server = UpstreamImagegate(tmp_path / "slow", mock_latency=2.0, lease_seconds=0.9)
    yield server
    server.close()


def follow(server: UpstreamImagegate, tmp_path: Path, no_events: bool) -> dict[str, Any]:
    script = tmp_path / "follow.mjs"
    script.write_text(SCRIPT % {"module": json.dumps(TASK_JS.as_uri())})
    assert NODE is not None
    with subprocess.Popen(
        [NODE, str(script), server.base_url, server.api_key, "1" if no_events else "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as node:
        assert node.stdout is not None
        assert node.stdout.readline() == "ready\n", node.communicate(timeout=60)
        made = httpx.post(server.url("/api/v1/jobs/createTask"), headers=server.auth,
                          json={"model": "google/nano-banana", "input": {"prompt": "a kite"}})
        task_id = made.json()["data"]["taskId"]
        try:
            out, err = node.communicate(task_id, timeout=60)
        finally:
            node.kill()  # no-op once it has exited; a hung one must not outlive the test
    assert node.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert result["done"]["taskId"] == task_id and result["done"]["state"] == "success"
    return result


def test_the_page_follows_a_task_by_its_events(slow: UpstreamImagegate, tmp_path: Path) -> None:
    result = follow(slow, tmp_path, no_events=False)
    assert result["fetched"] == ["/api/v1/jobs/events"]  # one stream, no poll
    states = [u["state"] for u in result["updates"]]
    assert "generating" in states and states[-1] == "success"
    assert any(10 < u["progress"] < 100 for u in result["updates"])
    assert "resultUrls" in result["done"]["resultJson"]  # the record, as recordInfo's data


def test_without_events_the_page_polls(slow: UpstreamImagegate, tmp_path: Path) -> None:
    result = follow(slow, tmp_path, no_events=True)
    assert result["fetched"][0] == "/api/v1/jobs/events"
    assert set(result["fetched"][1:]) == {"/api/v1/jobs/recordInfo"}
    assert len(result["fetched"]) >= 3
