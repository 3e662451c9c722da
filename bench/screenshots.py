"""Screenshots of the web UI for the README: docs/playground.png (a reframed photograph, its
price, its before/after and the request as curl), docs/dashboard.png, and two phone-sized ones:
docs/playground-phone.png (History with its thumbnails, in the system's dark theme) and
docs/dashboard-phone.png. Drives a real
``imagegate serve`` in the system's chromium, as the browser tests do
(tests/browser/browser_site.py).

    .venv/bin/python bench/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
# The browser tests' server and browser helpers, and their photographs.
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]

from browser_site import DESKTOP, PHONE, Site, browser, serve, unavailable  # noqa: E402
from photos import photo_file  # noqa: E402
from web_pages import failing_task  # noqa: E402

NAMES = ("playground.png", "dashboard.png", "playground-phone.png", "dashboard-phone.png")


def seed_activity(site: Site) -> None:
    """A few tasks, an account and a failure, so the dashboard and History have something to
    show."""
    admin = {"Authorization": f"Bearer {site.admin_key}"}
    user = {"Authorization": f"Bearer {site.key}"}
    httpx.post(f"{site.base_url}/api/admin/accounts", headers=admin,
               json={"name": "acme", "credits": 250}, timeout=10)
    for prompt in ("a lighthouse at dusk", "a red bicycle", "a paper boat"):
        httpx.post(f"{site.base_url}/api/v1/jobs/createTask", headers=user, timeout=10,
                   json={"model": "google/imagen4", "input": {"prompt": prompt}})
    failing_task(site, site.key)
    time.sleep(1.0)


def reframe_on_page(page: Any, site: Site, expect: Any, size: str) -> None:
    """Sign in, reframe the photograph to ``size``, wait for the result."""
    page.goto(f"{site.base_url}/")
    page.fill("#f-apiKey", site.key)
    page.click("#signin-form button")
    page.select_option("#f-image_size", size)
    page.set_input_files('input.file[data-field="image_url"]', files=[
        {"name": "coffee.png", "mimeType": "image/png", "buffer": photo_file()}])
    expect(page.locator("#f-image_url")).to_have_value(re.compile("^http"))
    page.click("#submit")
    expect(page.locator("figcaption .size")).to_have_text(re.compile("\N{MULTIPLICATION SIGN}"))
    page.locator("details.params").evaluate("d => { d.open = false; }")
    # The handle a third of the way across: the source on its left, the result on its right.
    page.locator(".compare input[type=range]").fill("35")


def dashboard(page: Any, site: Site, expect: Any) -> None:
    page.goto(f"{site.base_url}/dashboard")
    page.fill("#f-adminKey", site.admin_key)
    page.click("#signin-form button")
    expect(page.locator("#accounts")).to_contain_text("acme")
    expect(page.locator("#failures")).to_contain_text("not signed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    if reason := unavailable():
        sys.exit(reason)
    from playwright.sync_api import expect

    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "data") as site, \
            browser() as chromium:
        desktop = chromium.new_page(viewport=DESKTOP)
        desktop.set_default_timeout(30_000)
        reframe_on_page(desktop, site, expect, "landscape_16_9")
        desktop.context.grant_permissions(["clipboard-read", "clipboard-write"])
        desktop.click("#copy-curl")
        expect(desktop.locator("#copied")).to_contain_text("Copied")
        desktop.screenshot(path=args.out / "playground.png", full_page=True)

        seed_activity(site)
        phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                     device_scale_factor=2, color_scheme="dark").new_page()
        phone.set_default_timeout(30_000)
        phone.goto(f"{site.base_url}/")
        phone.fill("#f-apiKey", site.key)
        phone.click("#signin-form button")
        phone.click("nav >> text=History")
        expect(phone.locator("#history-rows img.thumb")).to_have_count(4)
        for thumb in phone.locator("#history-rows img.thumb").all():
            thumb.scroll_into_view_if_needed()  # loading="lazy": fetched once near the view
            expect(thumb).not_to_have_js_property("naturalWidth", 0)
        phone.evaluate("window.scrollTo(0, 0)")
        phone.screenshot(path=args.out / "playground-phone.png")

        dashboard(desktop, site, expect)
        desktop.screenshot(path=args.out / "dashboard.png", full_page=True)
        phone.context.close()
        phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                     device_scale_factor=2).new_page()
        dashboard(phone, site, expect)
        phone.screenshot(path=args.out / "dashboard-phone.png")
    print("wrote", ", ".join(str(args.out / name) for name in NAMES))


if __name__ == "__main__":
    main()
