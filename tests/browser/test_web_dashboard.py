"""The dashboard in a real chromium against a real server: the accounts' credits follow what
happens to them, a task's debit and a top-up made anywhere, without a reload and without
losing what the operator is typing (issue 20, point 11); on a phone it reads without a word
broken, its tables scrolling sideways inside their boxes (point 13)."""

from __future__ import annotations

from typing import Any

import pytest

from browser_site import PHONE, Site
from web_pages import api, failing_task, open_account, tasks

expect = pytest.importorskip("playwright.sync_api").expect

REFRESH_S = 5  # dashboard.js refreshes every 5 s


def next_refresh(page: Any) -> None:
    """Move the page's clock (installed before it loaded) on by one refresh period: its
    setInterval fires now instead of up to 5 s of real time later (the requests it makes are
    real)."""
    page.clock.run_for(REFRESH_S * 1000)


def admin_sign_in(page: Any, site: Site) -> None:
    page.goto(f"{site.base_url}/dashboard")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("#f-adminKey", site.admin_key)
    page.click("#signin-form button")
    expect(page.locator("#board")).to_be_visible()


def test_credits_follow_tasks_and_top_ups_without_a_reload(page: Any, site: Site) -> None:
    # The page's timers on a clock the test moves (it also runs on in real time): each
    # refresh below is the dashboard's own setInterval firing, without waiting for it.
    page.clock.install()
    admin_sign_in(page, site)
    page.evaluate("window.sameDocument = true")
    account = open_account(site, credits=100)  # made elsewhere, after the page loaded
    row = page.locator(f'#accounts tr[data-account="{account["id"]}"]')
    credits = row.locator("td.credits-cell")
    next_refresh(page)
    expect(credits).to_have_text("100", timeout=(REFRESH_S + 5) * 1000)
    amount = row.locator("input[type=number]")
    amount.fill("12")  # the operator is typing when the next refresh comes

    made = api(site, "POST", "/api/v1/jobs/createTask", key=account["apiKey"], json={
        "model": "google/nano-banana", "input": {"prompt": "a lighthouse"}})
    assert made["code"] == 200, made
    next_refresh(page)
    expect(credits).to_have_text("96", timeout=(REFRESH_S + 5) * 1000)  # 4 credits a task
    granted = api(site, "POST", f"/api/admin/accounts/{account['id']}/credits",
                  key=site.admin_key, json={"credits": 50})
    assert granted["code"] == 200, granted
    next_refresh(page)
    expect(credits).to_have_text("146", timeout=(REFRESH_S + 5) * 1000)
    expect(amount).to_have_value("12")
    expect(amount).to_be_focused()

    row.locator("text=Top up").click()
    expect(credits).to_have_text("158")
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator(f'#accounts tr[data-account="{account["id"]}"]')).to_have_count(1)


def test_the_dashboard_reads_on_a_phone_without_a_broken_word(chromium: Any, site: Site) -> None:
    account = open_account(site, credits=100)
    for model in ("google/nano-banana", "ideogram/v3-text-to-image", "google/imagen4-fast"):
        api(site, "POST", "/api/v1/jobs/createTask", key=account["apiKey"], json={
            "model": model, "input": {"prompt": "a lighthouse"}})
    failing_task(site, account["apiKey"])
    tasks(site, account["apiKey"])

    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        admin_sign_in(page, site)
        expect(page.locator("#failures")).to_contain_text("could not be resolved")
        expect(page.locator("#models")).to_contain_text("ideogram/v3-text-to-image")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
        # Every word of every table sits on one line (a word broken across lines was the
        # phone's dashboard: overflow-wrap: anywhere shrank the cells to a letter a line).
        broken = page.evaluate("""() => {
            const broken = [];
            for (const cell of document.querySelectorAll("#board th, #board td")) {
              const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const word of node.textContent.matchAll(/\\S+/g)) {
                  const range = document.createRange();
                  range.setStart(node, word.index);
                  range.setEnd(node, word.index + word[0].length);
                  const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                    .map((r) => Math.round(r.top)));
                  if (lines.size > 1) broken.push(word[0]);
                }
              }
            }
            return broken;
        }""")
        assert broken == [], f"words broken across lines: {broken}"
        # An account's row stays one line high: its top-up field and button side by side.
        for height in page.locator("#accounts tbody tr").evaluate_all(
                "rows => rows.map(row => row.getBoundingClientRect().height)"):
            assert height < 64, height
        # The wide tables scroll inside their own boxes.
        scrolls = page.locator("#board .scroll").evaluate_all(
            "boxes => boxes.map(box => box.scrollWidth > box.clientWidth)")
        assert any(scrolls)
    finally:
        context.close()
