"""The playground and the dashboard in a real headless chromium against a real server: sign
in, reframe a real photograph from the page, see the result at its real size, see the API's
refusal beside its field, follow history to a task page, run the dashboard, fit a phone."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from imagegate.catalog import get_model

from browser_site import PHONE, Site
from photos import photo_file
from web_pages import api, sign_in

# Skips, rather than fails to collect, where Playwright is not installed (conftest.py says why
# a machine without chromium skips too).
expect = pytest.importorskip("playwright.sync_api").expect

REFRAME = "ideogram/v3-reframe"


def test_sign_in_and_reframe_a_photograph_shown_at_its_real_size(page: Any, site: Site) -> None:
    page.goto(f"{site.base_url}/")
    expect(page.locator("#signin")).to_be_visible()
    page.fill("#f-apiKey", "ig_not_a_key")
    page.click("#signin-form button")
    expect(page.locator('.field[data-field="apiKey"] .error')).to_have_text(
        "Authentication failed: the API key is not valid"
    )
    page.fill("#f-apiKey", site.key)
    page.click("#signin-form button")
    expect(page.locator("#credits")).to_have_text("1000 credits")
    # The key lives in the browser's storage, never in the address.
    assert page.evaluate("localStorage.getItem('imagegate.apiKey')") == site.key
    assert site.key not in page.url

    expect(page.locator("#f-model")).to_have_value(REFRAME)
    expect(page.locator("#f-rendering_speed")).to_have_value("BALANCED")  # the spec's default
    expect(page.locator('.field[data-field="image_url"] .required')).to_be_visible()
    page.select_option("#f-image_size", "portrait_16_9")
    page.set_input_files(
        'input.file[data-field="image_url"]',
        files=[{"name": "coffee.png", "mimeType": "image/png", "buffer": photo_file()}],
    )
    expect(page.locator("#f-image_url")).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/files/"))
    page.click("#submit")

    expect(page.locator("#output .badge")).to_have_text("success", timeout=30_000)
    spec = get_model(REFRAME)
    assert spec is not None
    size = spec.output_size({"image_size": "portrait_16_9"})
    assert size is not None
    result = page.locator("img.result")
    shown = f"{size[0]} \N{MULTIPLICATION SIGN} {size[1]}"
    expect(page.locator("figcaption .size")).to_have_text(shown)
    assert result.evaluate("img => [img.naturalWidth, img.naturalHeight]") == list(size)
    assert page.locator("figcaption a").get_attribute("href") == result.get_attribute("src")
    # The source (600 x 400) is outlined where the reframe put it: full width, centred.
    frame, outline = result.bounding_box(), page.locator(".outline").bounding_box()
    assert abs(outline["width"] - frame["width"]) <= 4
    assert abs(outline["width"] / outline["height"] - 1.5) < 0.05
    assert abs((outline["y"] - frame["y"]) - (frame["y"] + frame["height"]
                                               - outline["y"] - outline["height"])) <= 4
    expect(page.locator(".params pre")).to_contain_text('"image_size": "portrait_16_9"')
    expect(page.locator("#credits")).to_have_text("993 credits")  # BALANCED: 7 credits


def test_a_refused_field_shows_the_apis_own_message_beside_it(page: Any, site: Site) -> None:
    sign_in(page, site)
    page.fill("#f-image_url", "not a url")
    page.click("#submit")
    stated = api(site, "POST", "/api/v1/jobs/createTask", json={
        "model": REFRAME, "input": {"image_url": "not a url", "image_size": "square_hd"}})
    assert stated["code"] == 422
    row = page.locator('.field[data-field="image_url"]')
    expect(row.locator(".error")).to_have_text(stated["msg"])
    expect(row).to_have_class(re.compile("invalid"))
    expect(page.locator("#form-error")).to_be_hidden()

    page.fill("#f-image_url", "https://example.com/a.png")
    page.fill("#f-seed", "1.5")
    page.click("#submit")
    expect(page.locator('.field[data-field="seed"] .error')).to_have_text(
        "input.seed: must be an integer (got 1.5)"
    )
    expect(page.locator('.field[data-field="image_url"] .error')).to_be_hidden()


def test_history_leads_to_a_task_page_with_cost_and_callback(page: Any, site: Site) -> None:
    hook = "http://127.0.0.1:9/hook"  # nothing listens: each delivery attempt fails
    made = api(site, "POST", "/api/v1/jobs/createTask", json={
        "model": "google/nano-banana", "input": {"prompt": "a lighthouse"}, "callBackUrl": hook})
    task_id = made["data"]["taskId"]
    deadline = time.monotonic() + 20
    while api(site, "GET", "/api/v1/jobs/recordInfo", params={"taskId": task_id})[
            "data"]["state"] != "success":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    listed = api(site, "GET", "/api/v1/jobs/list", params={"limit": 100})["data"]["tasks"]
    cost = next(t["consumeCredits"] for t in listed if t["taskId"] == task_id)

    sign_in(page, site)
    page.click("nav >> text=History")
    link = page.locator(f'#history-rows a[href="#task/{task_id}"]', has_text=task_id[:12])
    link.click()
    task = page.locator("#task")
    expect(task.locator("h2")).to_contain_text(task_id)
    expect(task.locator(".status .badge")).to_have_text("success")
    expect(task.locator(".facts")).to_contain_text(f"cost{cost:g}")
    expect(task).to_contain_text(f"To {hook}")
    expect(task.locator("img.result")).to_have_count(1)


def test_the_dashboard_manages_accounts_and_shows_the_service(page: Any, site: Site) -> None:
    page.goto(f"{site.base_url}/dashboard")
    page.fill("#f-adminKey", site.key)  # an account's key is not the admin key
    page.click("#signin-form button")
    expect(page.locator('.field[data-field="adminKey"] .error')).to_contain_text("admin key")
    page.fill("#f-adminKey", site.admin_key)
    page.click("#signin-form button")
    accounts = page.locator("#accounts")
    expect(accounts.locator("td", has_text=re.compile("^default$"))).to_be_visible()
    expect(page.locator("#engines")).to_contain_text("classic")
    expect(page.locator("#engines .badge").first).to_have_text("closed")

    page.fill("#f-name", "")
    page.click("#account-form button")
    expect(page.locator('#account-form .field[data-field="name"] .error')).to_contain_text("name")
    page.fill("#f-name", "acme")
    page.fill("#f-credits", "50")
    page.click("#account-form button")
    expect(page.locator("#secret code")).to_have_text(re.compile("^ig_"))
    row = accounts.locator("tr", has_text="acme")
    expect(row.locator("td").nth(1)).to_have_text("50")
    row.locator("input[type=number]").fill("25")
    row.locator("text=Top up").click()
    expect(accounts.locator("tr", has_text="acme").locator("td").nth(1)).to_have_text("75")
    acme = accounts.locator("tr", has_text="acme")
    acme.locator("text=Show keys").click()
    acme.locator("text=Revoke").click()
    expect(acme.locator(".badge", has_text="revoked")).to_be_visible()


def test_the_playground_fits_a_phone(chromium: Any, site: Site) -> None:
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, site)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
        form = page.locator("#task-form").bounding_box()
        output = page.locator("#output").bounding_box()
        assert output["y"] >= form["y"] + form["height"]  # one column: results below the form
    finally:
        context.close()


def test_a_stale_admin_key_leads_back_to_signing_in(page: Any, site: Site) -> None:
    page.goto(f"{site.base_url}/dashboard")
    page.evaluate("localStorage.setItem('imagegate.adminKey', 'ig_admin_changed_since')")
    page.reload()
    expect(page.locator('.field[data-field="adminKey"] .error')).to_contain_text("admin key")
    expect(page.locator("#board")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('imagegate.adminKey')") is None


def test_a_malformed_fragment_still_shows_the_playground(page: Any, site: Site) -> None:
    sign_in(page, site)
    page.goto("about:blank")
    page.goto(f"{site.base_url}/#%E0")  # not valid percent-encoding
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#play")).to_be_visible()
