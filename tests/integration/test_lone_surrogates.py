"""A lone surrogate escape (``"\\ud800"``) in a JSON body is refused with the surface's 422,
naming the field, before any route, store or answer sees it (issue 20, point 1).

Python's JSON parser turns the escape into a string that no UTF-8 encoder takes, so SQLite
raised ``UnicodeEncodeError`` and every create surface and cancelTask answered 500 with a
traceback in the log. Here through a real server (uvicorn on loopback) over a real SQLite file,
with the exact requests of the issue; text that reaches the server another way (a query
string, a multipart field) cannot carry a surrogate, and is checked not to.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from upstreams import UpstreamImagegate, closed_port_url

# The issue's body, byte for byte: the escape is JSON text, not a Python character.
ISSUE_BODY = b'{"model":"google/nano-banana","input":{"prompt":"a\\ud800"}}'
FLAT_BODY = b'{"prompt":"a\\ud800"}'
PROMPT_REFUSED = "prompt: must not contain a lone surrogate (\\ud800)"

# Every surface that creates a task from JSON, and cancelTask: (path, body, refused field).
CREATE_SURFACES = [
    ("/api/v1/jobs/createTask", ISSUE_BODY, "input." + PROMPT_REFUSED),
    ("/api/v2/jobs/createTask", ISSUE_BODY, "input." + PROMPT_REFUSED),
    ("/api/v1/gpt4o-image/generate", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/flux/kontext/generate", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/bytedance/seedream-v4-text-to-image", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/google/imagen-4-ultra", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/google/imagen-4", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/google/imagen-4-fast", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/ideogram/v3-text-to-image", FLAT_BODY, PROMPT_REFUSED),
    ("/api/v1/ideogram/character",
     b'{"prompt":"a\\ud800","reference_image_urls":["https://example.com/hero.png"]}',
     PROMPT_REFUSED),
    ("/api/v1/jobs/cancelTask", b'{"taskId":"a\\ud800"}',
     "taskId: must not contain a lone surrogate (\\ud800)"),
]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at INFO, fed by uvicorn's own loggers too (they do not propagate to the root),
    so that its "Exception in ASGI application" would be seen."""
    caplog.set_level(logging.INFO)
    uvicorn_log = logging.getLogger("uvicorn")
    uvicorn_log.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        uvicorn_log.removeHandler(caplog.handler)


@pytest.fixture
def served(tmp_path: Path, logs: pytest.LogCaptureFixture) -> Iterator[UpstreamImagegate]:
    """imagegate under uvicorn on loopback over a SQLite file, its logs watched."""
    with UpstreamImagegate(tmp_path / "data") as server:
        yield server


def post_raw(served: UpstreamImagegate, path: str, body: bytes) -> httpx.Response:
    headers = {**served.auth, "Content-Type": "application/json"}
    return httpx.post(served.url(path), content=body, headers=headers, timeout=10)


def task_rows(served: UpstreamImagegate) -> int:
    with sqlite3.connect(served.settings.data_dir / "imagegate.db") as conn:
        (count,) = conn.execute("SELECT count(*) FROM tasks").fetchone()
    return int(count)


def assert_no_traceback(logs: pytest.LogCaptureFixture) -> None:
    logged = [r for r in logs.records if r.exc_info or "Exception in ASGI" in r.getMessage()]
    assert not logged, [r.getMessage() for r in logged]


def test_every_create_surface_and_cancel_refuse_a_lone_surrogate(
    served: UpstreamImagegate, logs: pytest.LogCaptureFixture
) -> None:
    balance = served.balance()
    for path, body, message in CREATE_SURFACES:
        response = post_raw(served, path, body)
        assert response.status_code == 422, (path, response.text)
        answer = response.json()
        assert answer["code"] == 422 and answer["msg"] == message, (path, answer)
        assert answer["data"] is None
        if path.startswith("/api/v2/"):
            assert answer["message"] == message  # v2's envelope (spec 002)
    assert task_rows(served) == 0
    listed = httpx.get(served.url("/api/v1/jobs/list"), headers=served.auth, timeout=10).json()
    assert listed["data"]["tasks"] == []
    assert served.balance() == balance
    assert_no_traceback(logs)

    # The same body without the lone half creates its task: the surrogate was the refusal.
    fine = post_raw(served, "/api/v1/jobs/createTask", ISSUE_BODY.replace(b"\\ud800", b""))
    assert fine.status_code == 200 and fine.json()["code"] == 200, fine.text
    assert task_rows(served) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Anywhere in the body: deep in a list, in a field's name, the low half alone.
        (b'{"model":"google/nano-banana-edit","input":{"prompt":"p","image_urls":'
         b'["https://example.com/a.png","https://example.com/\\udc00.png"]}}',
         "input.image_urls[1]: must not contain a lone surrogate (\\udc00)"),
        (b'{"model":"google/nano-banana","input":{"prompt":"p","x\\ud83d":1}}',
         "input: has a field name that contains a lone surrogate (\\ud83d)"),
        (b'{"model":"google/nano-banana","input":{"prompt":"p"},"callBackUrl":"\\udfff"}',
         "callBackUrl: must not contain a lone surrogate (\\udfff)"),
        (b'{"\\ud800":1}', "request: has a field name that contains a lone surrogate (\\ud800)"),
    ],
    ids=["in-a-list", "in-a-field-name", "low-half-top-level", "top-level-field-name"],
)
def test_a_lone_surrogate_anywhere_is_named_by_its_path(
    served: UpstreamImagegate, logs: pytest.LogCaptureFixture, body: bytes, message: str
) -> None:
    response = post_raw(served, "/api/v1/jobs/createTask", body)
    assert response.status_code == 422, response.text
    assert response.json() == {"code": 422, "msg": message, "data": None}
    assert task_rows(served) == 0
    assert_no_traceback(logs)


def test_a_surrogate_pair_is_a_character_and_is_kept(served: UpstreamImagegate) -> None:
    # "\ud83d\ude00" is one emoji, spelled as JSON spells characters beyond the BMP.
    body = b'{"model":"google/nano-banana","input":{"prompt":"smile \\ud83d\\ude00"}}'
    response = post_raw(served, "/api/v1/jobs/createTask", body)
    assert response.status_code == 200, response.text
    task_id = response.json()["data"]["taskId"]
    record = httpx.get(
        served.url("/api/v1/jobs/recordInfo"), params={"taskId": task_id}, headers=served.auth,
        timeout=10,
    ).json()
    assert "smile \U0001f600" in record["data"]["param"]


def test_other_json_bodies_refuse_it_in_their_envelopes(
    served: UpstreamImagegate, logs: pytest.LogCaptureFixture
) -> None:
    uploads = post_raw(
        served, "/api/file-base64-upload",
        b'{"base64Data":"aGk=","uploadPath":"images","fileName":"a\\ud800.png"}',
    )
    assert uploads.status_code == 422, uploads.text
    assert uploads.json() == {
        "success": False, "code": 422, "data": None,
        "msg": "fileName: must not contain a lone surrogate (\\ud800)",
    }
    admin = httpx.post(
        served.url("/api/admin/accounts"), content=b'{"name":"acme\\ud800"}',
        headers={"Authorization": f"Bearer {served.admin_key}",
                 "Content-Type": "application/json"},
        timeout=10,
    )
    assert admin.status_code == 422, admin.text
    assert admin.json()["msg"] == "name: must not contain a lone surrogate (\\ud800)"
    assert_no_traceback(logs)


def test_query_strings_and_form_fields_cannot_carry_one(
    served: UpstreamImagegate, logs: pytest.LogCaptureFixture
) -> None:
    # The UTF-8 spelling of U+D800 (ED A0 80) is not UTF-8: the query is decoded with
    # replacement characters, so ?taskId= names a task that does not exist.
    record = httpx.get(
        served.url("/api/v1/jobs/recordInfo?taskId=a%ED%A0%80"), headers=served.auth, timeout=10
    )
    assert record.status_code == 404 and record.json()["code"] == 404, record.text
    # Ideogram's multipart text fields: decoded as Latin-1 when they are not UTF-8, so the
    # field is an ordinary (wrong) value, refused in Ideogram's shape.
    form = httpx.post(
        served.url("/v1/ideogram-v3/reframe"),
        headers={"Api-Key": served.api_key},
        files={"image": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")},
        data={"resolution": b"1024x1024\xed\xa0\x80".decode("latin-1")},
        timeout=10,
    )
    assert 400 <= form.status_code < 500 and "error" in form.json(), form.text
    # A JSON text inside a form field (color_palette) is checked by its own strict rules.
    palette = httpx.post(
        served.url("/v1/ideogram-v3/reframe"),
        headers={"Api-Key": served.api_key},
        files={"image": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")},
        data={"resolution": "1024x1024", "color_palette": '{"name":"P\\ud800"}'},
        timeout=10,
    )
    assert palette.status_code == 422 and "error" in palette.json(), palette.text
    assert task_rows(served) == 0
    assert_no_traceback(logs)


def test_the_upstream_callback_receiver_refuses_it(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    # A Kie upstream that calls back (it is never reached: nothing here creates a task).
    provider = {"type": "upstream_kie", "base_url": closed_port_url(), "api_key": "k",
                "callbacks": True}
    with UpstreamImagegate(tmp_path / "cb", providers={"kie": provider}) as server:
        callback_url = server.runtime.engines.get("kie").callback_url
        assert callback_url.startswith(server.url("/api/upstream/kie/callback?token="))
        refused = httpx.post(
            callback_url, content=b'{"code":200,"data":{"taskId":"x\\ud800"}}',
            headers={"Content-Type": "application/json"}, timeout=10,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["msg"] == (
            "data.taskId: must not contain a lone surrogate (\\ud800)"
        )
        fine = httpx.post(callback_url, json={"data": {"taskId": "x"}}, timeout=10)
        assert fine.status_code == 200 and fine.json()["data"] == {"woke": False}, fine.text
    assert_no_traceback(logs)
