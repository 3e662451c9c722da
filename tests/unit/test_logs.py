"""Log lines: secrets masked whatever way they reach a line (message, arguments, exception),
JSON with the task's fields while a task is being worked on, text with them as a suffix."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from imagegate.logs import context
from imagegate.logs.configure import configure_logging
from imagegate.logs.redact import redact

API_KEY = "ig_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SIGNED = "http://127.0.0.1:8000/files/results/x/0.png?expires=1790000000&sig=SeCrEtSiGnAtUrE123"
S3_SIGNED = (
    "https://bucket.s3.amazonaws.com/k.png?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=abcdef0123456789"
)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        (f"key {API_KEY} refused", [API_KEY[3:]]),
        (f"fetching {SIGNED}", ["SeCrEtSiGnAtUrE123", "1790000000"]),
        (f"fetching {S3_SIGNED}", ["abcdef0123456789", "AKIAEXAMPLE"]),
        ("Authorization: Bearer tok-123456789", ["tok-123456789"]),
        ("{'authorization': 'Bearer tok-abcdefgh', 'x-api-key': 'k-987654321'}",
         ["tok-abcdefgh", "k-987654321"]),
        ("Api-Key=secretvalue42 sent", ["secretvalue42"]),
        ("X-Webhook-Signature: c2lnbmF0dXJl", ["c2lnbmF0dXJl"]),
    ],
)
def test_redact_masks_every_secret_shape(text: str, secrets: list[str]) -> None:
    masked = redact(text)
    assert "***" in masked
    for secret in secrets:
        assert secret not in masked


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "task 0123abcd success (mock) after 3 attempts; authorization failed for host a.b"
    assert redact(text) == text


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger configured by ``configure_logging`` (JSON), writing to a buffer; the
    previous root configuration is restored afterwards."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    configure_logging("debug", "json")
    buffer = io.StringIO()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])


def _lines(buffer: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_mask_arguments_and_exceptions(captured: io.StringIO) -> None:
    log = logging.getLogger("imagegate.test")
    log.info("fetching %s with %s", SIGNED, {"Authorization": f"Bearer {API_KEY}"})
    try:
        raise RuntimeError(f"upstream refused {API_KEY} at {SIGNED}")
    except RuntimeError:
        log.exception("failed")
    first, second = _lines(captured)
    assert first["level"] == "info" and first["logger"] == "imagegate.test"
    assert first["time"].endswith("Z")
    for line in (first, second):
        text = json.dumps(line)
        assert API_KEY not in text and API_KEY[3:] not in text
        assert "SeCrEtSiGnAtUrE123" not in text
    assert "RuntimeError" in second["exception"]


def test_json_lines_name_the_task_while_it_is_worked_on(captured: io.StringIO) -> None:
    log = logging.getLogger("imagegate.test")
    with context.task_context("t1", "acct", "qwen/image-edit"):
        log.info("claimed")
        context.set_engine("mock")
        log.info("running")
    log.info("idle")
    claimed, running, idle = _lines(captured)
    assert (claimed["taskId"], claimed["account"], claimed["model"]) == (
        "t1", "acct", "qwen/image-edit"
    )
    assert "engine" not in claimed
    assert running["engine"] == "mock"
    assert "taskId" not in idle


def test_text_format_adds_the_task_as_a_suffix() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    configure_logging("info", "text")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        with context.task_context("t2", "acct", "m"):
            logging.getLogger("imagegate.test").info("key %s", API_KEY)
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    line = buffer.getvalue().strip()
    assert line.endswith("[taskId=t2 account=acct model=m]")
    assert "INFO imagegate.test: key ig_***" in line


def test_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log_format"):
        configure_logging("info", "xml")
