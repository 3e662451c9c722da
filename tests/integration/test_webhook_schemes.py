"""Webhook signing schemes (issue 22 point 6): an account chooses Kie's headers (the default)
or Standard Webhooks', through the admin API or ``imagegate admin accounts webhook``; the
callbacks a real loopback receiver gets carry that scheme's headers, the Standard Webhooks id
unchanged across retries, and the client's ``verify`` checks both."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imagegate.cli.main import app
from imagegate.client import verify
from imagegate.errors import CallbackVerificationError
from imagegate.wire import standard_webhooks
from imagegate.wire.webhooks import verify_callback_or_raise

from loopback import LoopbackServer

PROMPT = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}
WHSEC = "whsec_" + base64.b64encode(b"a 24-byte signing key!!!").decode()


def test_the_standard_webhooks_reference_signature() -> None:
    # The example of the Standard Webhooks libraries' own tests.
    signature = standard_webhooks.sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}',
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_verifier_checks_both_schemes_and_refuses_tampering() -> None:
    body = json.dumps({"code": 200, "data": {"taskId": "t1"}}).encode()
    standard = standard_webhooks.signature_headers("msg_1", body, WHSEC, now=1000)
    assert verify(body, standard, WHSEC, now=1010)
    assert not verify(body.replace(b"200", b"201"), standard, WHSEC, now=1010)
    assert not verify(body, standard, WHSEC, now=2000)  # outside the window
    assert not verify(body, {**standard, "webhook-id": "msg_2"}, WHSEC, now=1010)
    rotated = {**standard, "webhook-signature": "v1,bm90LWl0 " + standard["webhook-signature"]}
    assert verify(body, rotated, WHSEC, now=1010)  # any one of several signatures
    with pytest.raises(CallbackVerificationError, match="raw body"):
        verify_callback_or_raise(json.loads(body), standard, WHSEC, now=1010)
    # A free-text secret is its bytes, in either scheme.
    plain = standard_webhooks.signature_headers("msg_1", body, "s3cret", now=1000)
    assert verify(body, plain, "s3cret", now=1000)


def admin(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.admin_key}"}


async def default_account(api: Any) -> dict[str, Any]:
    accounts = (await api.client.get("/api/admin/accounts", headers=admin(api))).json()["data"]
    return dict(next(a for a in accounts if a["name"] == "default"))


async def set_webhook(api: Any, account_id: str, body: Any) -> Any:
    return await api.client.post(
        f"/api/admin/accounts/{account_id}/webhook", json=body, headers=admin(api)
    )


async def test_standard_webhooks_through_a_real_receiver(
    sqlite_live_api: Any, loopback: LoopbackServer
) -> None:
    api = sqlite_live_api
    account = await default_account(api)
    assert account["webhookScheme"] == "kie"
    answer = await set_webhook(api, account["id"], {"scheme": "standard", "secret": WHSEC})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["webhookScheme"] == "standard"
    assert answer.json()["data"]["hasWebhookSecret"] is True
    loopback.post_statuses = [500]  # the first delivery fails: the retry must keep the id
    made = await api.create({**PROMPT, "callBackUrl": loopback.url("/hook")})
    task_id = made.json()["data"]["taskId"]
    first, second = await asyncio.to_thread(loopback.wait_for_posts, "/hook", 2)
    for post in (first, second):
        headers = {name.lower(): value for name, value in post.headers.items()}
        assert "x-webhook-signature" not in headers
        assert headers["webhook-signature"].startswith("v1,")
        assert verify(post.body, post.headers, WHSEC)
        assert post.json()["data"]["taskId"] == task_id
    ids = [{k.lower(): v for k, v in p.headers.items()}["webhook-id"] for p in (first, second)]
    assert ids[0] == ids[1] and ids[0].startswith("msg_")


async def test_kie_stays_the_default_and_the_secret_can_be_kept_or_removed(
    sqlite_live_api: Any, loopback: LoopbackServer
) -> None:
    api = sqlite_live_api
    account = await default_account(api)
    assert (await set_webhook(api, account["id"], {"scheme": "kie", "secret": "s3cret"})
            ).status_code == 200
    await api.create({**PROMPT, "callBackUrl": loopback.url("/kie")})
    (post,) = await asyncio.to_thread(loopback.wait_for_posts, "/kie", 1)
    assert "X-Webhook-Signature" in post.headers and "webhook-id" not in {
        name.lower() for name in post.headers
    }
    assert verify(post.body, post.headers, "s3cret")
    # Left out: the secret stays; null: removed (unsigned).
    kept = await set_webhook(api, account["id"], {"scheme": "standard"})
    assert kept.json()["data"]["hasWebhookSecret"] is True
    removed = await set_webhook(api, account["id"], {"scheme": "kie", "secret": None})
    assert removed.json()["data"]["hasWebhookSecret"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scheme": "svix"}, "scheme"),
        ({}, "scheme"),
        ({"scheme": "standard", "secret": "whsec_***"}, "secret"),
        ({"scheme": "standard", "secret": 5}, "secret"),
        ({"scheme": "kie", "colour": "red"}, "colour"),
    ],
)
async def test_bad_settings_are_a_422_naming_the_field(
    api: Any, body: dict[str, Any], field: str
) -> None:
    account = await default_account(api)
    answer = await set_webhook(api, account["id"], body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"].startswith(f"{field}: ")


async def test_an_unknown_account_is_a_404(api: Any) -> None:
    answer = await set_webhook(api, "no-such-account", {"scheme": "kie"})
    assert answer.status_code == 404


def test_the_admin_cli_sets_the_scheme(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    made = runner.invoke(app, ["admin", "accounts", "create", "--name", "acme", *data])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["admin", "accounts", "list", "--json", *data])
    account = next(a for a in json.loads(listed.output) if a["name"] == "acme")
    done = runner.invoke(app, ["admin", "accounts", "webhook", account["id"], "--scheme",
                               "standard", "--secret", WHSEC, *data])
    assert done.exit_code == 0, done.output
    assert "webhooks standard, signed" in done.output
    refused = runner.invoke(app, ["admin", "accounts", "webhook", account["id"], "--scheme",
                                  "svix", *data])
    assert refused.exit_code != 0 and "kie, standard" in refused.output


@pytest.mark.parametrize("backend_name", ["memory", "sqlite", "postgres"])
async def test_every_store_keeps_the_scheme_and_the_secret(
    open_backend_named: Any, backend_name: str
) -> None:
    from imagegate.accounts.keys import AccountRequest, create_account

    async with open_backend_named(backend_name) as backend:
        account, _ = await create_account(backend.store, AccountRequest("acme", 1, "old"))
        assert account.webhook_scheme == "kie"
        assert await backend.api_keys.set_webhook(account.id, "standard", None, keep_secret=True)
        kept = await backend.store.get_account(account.id)
        assert (kept.webhook_scheme, kept.webhook_secret) == ("standard", "old")
        assert await backend.api_keys.set_webhook(account.id, "kie", WHSEC, keep_secret=False)
        changed = await backend.store.get_account(account.id)
        assert (changed.webhook_scheme, changed.webhook_secret) == ("kie", WHSEC)
        assert await backend.api_keys.set_webhook(account.id, "kie", None, keep_secret=False)
        assert (await backend.store.get_account(account.id)).webhook_secret is None
        assert not await backend.api_keys.set_webhook("nobody", "kie", None, keep_secret=True)
