"""Callback signatures: Kie's scheme on the sending side, the receiver's verifier against it."""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from imagegate.errors import CallbackVerificationError
from imagegate.wire import webhooks as webhooks_module
from imagegate.wire.webhooks import (
    sign,
    signature_headers,
    verify_callback,
    verify_callback_or_raise,
)

SECRET = "whsec-test"
TASK_ID = "task_8f2c"
NOW = 1_700_000_000
BODY = json.dumps(
    {"code": 200, "msg": "Image generated successfully.",
     "data": {"taskId": TASK_ID, "state": "success", "resultJson": "{}"}}
).encode()


def test_sign_is_base64_hmac_sha256_of_task_id_dot_timestamp() -> None:
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{TASK_ID}.{NOW}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign(TASK_ID, NOW, SECRET) == expected
    assert sign(TASK_ID, NOW + 1, SECRET) != expected
    assert sign(TASK_ID, NOW, SECRET + "x") != expected


def test_signature_headers_carry_unix_seconds_and_signature() -> None:
    headers = signature_headers(TASK_ID, SECRET, now=NOW + 0.9)
    assert headers == {
        "X-Webhook-Timestamp": str(NOW),
        "X-Webhook-Signature": sign(TASK_ID, NOW, SECRET),
    }


def test_signature_headers_default_to_the_current_time() -> None:
    headers = signature_headers(TASK_ID, SECRET)
    assert verify_callback(BODY, headers, SECRET)


@pytest.mark.parametrize("body", [BODY, BODY.decode(), json.loads(BODY)])
def test_verify_accepts_raw_text_and_parsed_bodies(body: bytes | str | dict[str, object]) -> None:
    assert verify_callback(body, signature_headers(TASK_ID, SECRET, now=NOW), SECRET, now=NOW)


def test_verify_reads_headers_case_insensitively() -> None:
    headers = {k.lower(): v for k, v in signature_headers(TASK_ID, SECRET, now=NOW).items()}
    assert verify_callback(BODY, headers, SECRET, now=NOW)
    headers = {k.upper(): v for k, v in headers.items()}
    assert verify_callback(BODY, headers, SECRET, now=NOW)


def test_verify_rejects_a_wrong_secret() -> None:
    headers = signature_headers(TASK_ID, SECRET, now=NOW)
    assert not verify_callback(BODY, headers, "another-secret", now=NOW)


def test_verify_rejects_a_body_for_another_task() -> None:
    headers = signature_headers(TASK_ID, SECRET, now=NOW)
    tampered = BODY.replace(TASK_ID.encode(), b"task_other")
    assert not verify_callback(tampered, headers, SECRET, now=NOW)


def test_verify_rejects_a_changed_timestamp() -> None:
    headers = signature_headers(TASK_ID, SECRET, now=NOW)
    headers["X-Webhook-Timestamp"] = str(NOW + 1)
    assert not verify_callback(BODY, headers, SECRET, now=NOW)


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_verify_rejects_timestamps_outside_the_tolerance(skew: int) -> None:
    headers = signature_headers(TASK_ID, SECRET, now=NOW)
    assert not verify_callback(BODY, headers, SECRET, now=NOW + skew)
    assert verify_callback(BODY, headers, SECRET, now=NOW + skew, tolerance_seconds=20_000)


def test_verify_accepts_timestamps_inside_the_tolerance() -> None:
    headers = signature_headers(TASK_ID, SECRET, now=NOW)
    assert verify_callback(BODY, headers, SECRET, now=NOW + 300)
    assert verify_callback(BODY, headers, SECRET, now=NOW - 300)


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, BODY, "missing"),
        ({"X-Webhook-Timestamp": "soon", "X-Webhook-Signature": "x"}, BODY, "integer"),
        ({"X-Webhook-Timestamp": str(NOW), "X-Webhook-Signature": "ünïcode"}, BODY, "match"),
        (signature_headers(TASK_ID, SECRET, now=NOW), b"not json", "JSON"),
        (signature_headers(TASK_ID, SECRET, now=NOW), b'{"data": {}}', "taskId"),
        (signature_headers(TASK_ID, SECRET, now=NOW), b"[1, 2]", "taskId"),
    ],
)
def test_verify_or_raise_says_what_failed(
    headers: dict[str, str], body: bytes, reason: str
) -> None:
    with pytest.raises(CallbackVerificationError, match=reason):
        verify_callback_or_raise(body, headers, SECRET, now=NOW)
    assert not verify_callback(body, headers, SECRET, now=NOW)


def test_verify_refuses_an_empty_secret() -> None:
    headers = signature_headers(TASK_ID, "", now=NOW)
    with pytest.raises(CallbackVerificationError, match="secret"):
        verify_callback_or_raise(BODY, headers, "", now=NOW)


def _imports_of(module: ModuleType) -> set[str]:
    tree = ast.parse(Path(str(module.__file__)).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in {module}"
            imported.add(node.module or "")
    return imported


def test_webhooks_import_only_the_standard_library() -> None:
    # The client package re-exports the verifier; it must not drag the server in. Its imports
    # of imagegate are the error tree, standard library only itself, and the Standard Webhooks
    # scheme beside it in wire/ (whose package file imports nothing).
    import imagegate.errors

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    imported = _imports_of(webhooks_module) - {"imagegate.errors", "imagegate.wire"}
    assert {name.split(".")[0] for name in imported} <= stdlib, imported
    # Its other import, the Standard Webhooks scheme, is held to the same rule.
    from imagegate.wire import standard_webhooks

    standard = _imports_of(standard_webhooks) - {"imagegate.errors"}
    assert {name.split(".")[0] for name in standard} <= stdlib, standard
    tree = {name.split(".")[0] for name in _imports_of(imagegate.errors)}
    assert tree <= stdlib, tree
