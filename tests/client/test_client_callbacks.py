"""Receiving callbacks: ``parse_callback`` and ``imagegate.callbacks.verify``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from imagegate.callbacks.signing import signature_headers
from imagegate.client import ProtocolError, TaskState, parse_callback, verify

SECRET = "whsec"
NOW = 1_700_000_000
BODY = json.dumps({
    "code": 200, "msg": "Image generated successfully.",
    "data": {"taskId": "t-9", "model": "google/nano-banana", "state": "success",
             "param": "{}", "resultJson": '{"resultUrls":["http://h/1.png"]}',
             "failCode": None, "failMsg": None, "consumeCredits": 2, "remainedCredits": 98,
             "costTime": 10, "createTime": 1, "completeTime": 2, "updateTime": 2},
}).encode()


def test_parse_callback_from_bytes_str_and_dict() -> None:
    for body in (BODY, BODY.decode(), json.loads(BODY)):
        task = parse_callback(body)
        assert task.task_id == "t-9" and task.state is TaskState.SUCCESS
        assert task.result_urls == ("http://h/1.png",) and task.raw["consumeCredits"] == 2
    failed = parse_callback({"code": 501, "msg": "failed", "data": {
        "taskId": "t", "state": "fail", "failCode": "500", "failMsg": "boom"}})
    assert failed.failed and failed.fail_msg == "boom"
    with pytest.raises(ProtocolError):
        parse_callback(b"nope")


def test_verify_a_body_signed_the_servers_way() -> None:
    import imagegate.callbacks

    headers = signature_headers("t-9", SECRET, now=NOW)
    assert imagegate.callbacks.verify(BODY, headers, SECRET, now=NOW)
    assert verify(json.loads(BODY), headers, SECRET, now=NOW + 299)
    assert not verify(BODY, headers, "other", now=NOW)
    assert not verify(BODY, headers, SECRET, now=NOW + 301)
    assert not verify(BODY.replace(b"t-9", b"t-8"), headers, SECRET, now=NOW)


def test_client_and_callbacks_do_not_import_the_server() -> None:
    code = (
        "import sys, imagegate.client, imagegate.callbacks;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'sqlalchemy', 'starlette')"
        " or m.startswith(('imagegate.api', 'imagegate.tasks', 'imagegate.engines',"
        " 'imagegate.worker', 'imagegate.callbacks.sender', 'imagegate.db.sqlite.outbox'))];"
        "print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert ast.literal_eval(done.stdout.strip()) == []
