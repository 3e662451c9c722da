"""History and following a task, in a real chromium against a real server: "More" adds the
next page once and then hides (issue 20, point 10), each row shows its result's thumbnail
(point 14), and a failed poll is retried later and later, and said on the page, until the
task's end shows (point 12)."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from browser_site import Site
from web_pages import api, failing_task, new_account, sign_in, tasks

expect = pytest.importorskip("playwright.sync_api").expect

PAGE_SIZE = 20  # history.js asks for 20 tasks a page


def test_more_adds_the_next_page_once_then_hides(page: Any, site: Site) -> None:
    key = new_account(site)
    for number in range(PAGE_SIZE + 5):
        made = api(site, "POST", "/api/v1/jobs/createTask", key=key, json={
            "model": "google/nano-banana", "input": {"prompt": f"a lighthouse, take {number}"}})
        assert made["code"] == 200, made
    listed = [task["taskId"] for task in tasks(site, key)]  # newest first, all ended

    sign_in(page, site, key)
    page.click("nav >> text=History")
    rows = page.locator("#history-rows tbody tr")
    more = page.locator("#history-more")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(more).to_be_visible()
    more.click()
    expect(rows).to_have_count(PAGE_SIZE + 5)
    # Hidden means not displayed: no style rule may show a [hidden] button.
    expect(more).to_be_hidden()
    assert more.evaluate("button => getComputedStyle(button).display") == "none"
    # A click that still reaches it (a script, a double click) fetches nothing again.
    more.evaluate("button => { button.click(); button.click(); }")
    page.wait_for_timeout(500)
    hrefs = page.locator("#history-rows td:last-child a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert [href.removeprefix("#task/") for href in hrefs] == listed, "each once, newest first"
    # The next page's rows join the first page's table.
    assert len(page.locator("#history-rows table").all()) == 1

    # Each row shows its result as a thumbnail, loaded, linking to the task.
    thumbs = page.locator("#history-rows img.thumb")
    expect(thumbs).to_have_count(PAGE_SIZE + 5)
    first = thumbs.first
    expect(first).not_to_have_js_property("naturalWidth", 0)
    assert first.evaluate("img => img.closest('a').getAttribute('href')") == f"#task/{listed[0]}"


def test_a_task_without_results_has_no_thumbnail(page: Any, site: Site) -> None:
    key = new_account(site)
    failing_task(site, key)
    tasks(site, key)
    sign_in(page, site, key)
    page.click("nav >> text=History")
    expect(page.locator("#history-rows tbody tr")).to_have_count(1)
    expect(page.locator("#history-rows .badge")).to_have_text("fail")
    expect(page.locator("#history-rows img")).to_have_count(0)
    expect(page.locator("#history-more")).to_be_hidden()


def no_events(page: Any) -> None:
    """The events route answers as a server without it (Kie's 404): the page polls."""
    page.route("**/api/v1/jobs/events?*", lambda route: route.fulfill(
        status=404, content_type="application/json",
        body='{"code": 404, "msg": "Not found", "data": null}'))


def test_the_page_follows_a_task_by_its_live_events_without_polling(
        page: Any, site: Site) -> None:
    key = new_account(site)
    sign_in(page, site, key)
    page.select_option("#f-model", "google/nano-banana")
    page.fill("#f-prompt", "a lighthouse at noon")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url.split("?")[0]))
    page.click("#submit")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=20_000)
    expect(page.locator("img.result")).to_have_count(1)
    paths = [url.split("/", 3)[-1] for url in asked]
    assert "api/v1/jobs/events" in paths and "api/v1/jobs/recordInfo" not in paths, paths


def test_a_failed_poll_is_retried_later_and_later_and_said_on_the_page(
        page: Any, site: Site) -> None:
    key = new_account(site)
    sign_in(page, site, key)
    page.select_option("#f-model", "google/nano-banana")
    page.fill("#f-prompt", "a lighthouse in fog")
    polls: list[float] = []

    def fail_the_first_three(route: Any) -> None:
        polls.append(time.monotonic())
        if len(polls) == 1:  # no answer at all
            route.abort("connectionreset")
        elif len(polls) == 2:  # a proxy's 502 without JSON
            route.fulfill(status=502, content_type="text/html", body="<h1>Bad Gateway</h1>")
        elif len(polls) == 3:  # the operator's Kie-style errors: HTTP 200, code 500
            route.fulfill(status=200, content_type="application/json",
                          body='{"code": 500, "msg": "Internal error", "data": null}')
        else:
            route.continue_()

    no_events(page)  # the polling the page falls back on, where a server streams no events
    page.route("**/api/v1/jobs/recordInfo?*", fail_the_first_three)
    page.click("#submit")
    note = page.locator("#output .retrying")
    expect(note).to_contain_text("Polling the task failed (The server did not answer")
    expect(note).to_contain_text("attempt 2")
    expect(note).to_contain_text("HTTP 502")
    expect(note).to_contain_text("(Internal error)", timeout=10_000)
    expect(note).to_contain_text("attempt 4")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=20_000)
    expect(note).to_have_count(0)  # said while it lasts, gone once a poll is answered
    expect(page.locator("img.result")).to_have_count(1)
    # Backoff: 1 s, then 2 s, then 4 s between the failed polls and the next.
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls)][:3]
    assert [round(gap) for gap in gaps] == [1, 2, 4], gaps
    assert not page.locator("#form-error").is_visible()


def test_a_poll_refused_for_good_ends_the_tracking_with_its_message(
        page: Any, site: Site) -> None:
    key = new_account(site)
    sign_in(page, site, key)
    page.select_option("#f-model", "google/nano-banana")
    page.fill("#f-prompt", "a lighthouse")

    def unknown_task(route: Any) -> None:
        route.fulfill(status=404, content_type="application/json",
                      body='{"code": 404, "msg": "Task not found", "data": null}')

    no_events(page)
    page.route("**/api/v1/jobs/recordInfo?*", unknown_task)
    page.click("#submit")
    expect(page.locator("#form-error")).to_have_text("Task not found")
    expect(page.locator("#output .retrying")).to_have_count(0)
    expect(page.locator("#submit")).to_be_enabled()
