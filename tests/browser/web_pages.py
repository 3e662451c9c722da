"""What the browser tests share: signing in on the page, the API beside it (plain HTTP, to
set things up and to check what the page did), fresh accounts and finished tasks."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from browser_site import Site

RUNNING = {"waiting", "queuing", "generating"}
_names = itertools.count(1)


def sign_in(page: Any, site: Site, key: str | None = None) -> None:
    """Open the playground and sign in with ``key`` (the default account's by default)."""
    from playwright.sync_api import expect  # here: a machine without Playwright skips

    page.goto(f"{site.base_url}/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("#f-apiKey", key or site.key)
    page.click("#signin-form button")
    expect(page.locator("#play")).to_be_visible()


def api(site: Site, method: str, path: str, key: str | None = None, **kwargs: Any) -> Any:
    """The API's JSON answer to one request with ``key`` (the default account's by default)."""
    headers = {"Authorization": f"Bearer {key or site.key}"}
    answer = httpx.request(method, f"{site.base_url}{path}", headers=headers, timeout=10, **kwargs)
    return answer.json()


def open_account(site: Site, credits: float = 1000) -> dict[str, Any]:
    """A fresh account (its ``id``, ``name`` and ``apiKey``): a test that counts credits or
    tasks counts only its own. Its create rate allows dozens of tasks at once."""
    made = api(site, "POST", "/api/admin/accounts", key=site.admin_key, json={
        "name": f"browser-{next(_names)}", "credits": credits, "createRate": "500/1s"})
    assert made["code"] == 200, made
    return dict(made["data"])


def new_account(site: Site, credits: float = 1000) -> str:
    """A fresh account's key."""
    return str(open_account(site, credits)["apiKey"])


def failing_task(site: Site, key: str) -> str:
    """A task that fails whatever the timing (a cancel may come after a fast mock task has
    ended): its input image is on a host under ``.invalid``, which never resolves (RFC 2606),
    so the worker's download fails; a create takes it, as no lookup is made there. Its id."""
    made = api(site, "POST", "/api/v1/jobs/createTask", key=key, json={
        "model": "google/nano-banana-edit",
        "input": {"prompt": "x", "image_urls": ["https://images.invalid/nope.png"]}})
    assert made["code"] == 200, made
    return str(made["data"]["taskId"])


def credits(site: Site, key: str) -> float:
    return float(api(site, "GET", "/api/v1/chat/credit", key=key)["data"])


# Seconds the account's tasks may go without any of them moving (state or progress) before
# tasks() calls them stuck. Not a deadline for all of them: the CPU engine's tasks run one at a
# time in the server's one engine process, so how long the last one waits grows with how many
# there are and how loaded the machine is (other test processes, pytest -n); a queue that keeps
# moving is slow, not stuck, and one that stops moving fails here as before.
STUCK_SECONDS = 60.0


def tasks(site: Site, key: str) -> list[dict[str, Any]]:
    """Every task of the account, newest first, once none is still running."""
    seen: list[tuple[str, str, int]] = []
    moved = time.monotonic()
    while True:
        listed: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = api(site, "GET", "/api/v1/jobs/list", key=key, params=params)["data"]
            listed += page["tasks"]
            cursor = page["nextCursor"]
            if not cursor:
                break
        running = [t for t in listed if t["state"] in RUNNING]
        if not running:
            return listed
        now = [(t["taskId"], t["state"], t.get("progress") or 0) for t in running]
        if now != seen:
            seen, moved = now, time.monotonic()
        assert time.monotonic() - moved < STUCK_SECONDS, (
            f"no task moved for {STUCK_SECONDS:g} s", running, site.output()[-3000:])
        time.sleep(0.2)
