"""Screenshots of the web UI for the README: docs/playground.png (a reframed photograph) and
docs/dashboard.png. Drives a real ``imagegate serve`` in the system's chromium, as the browser
tests do (tests/browser/browser_site.py).

    .venv/bin/python bench/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# The browser tests' server and browser helpers, and their photographs.
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]

from browser_site import Site, browser, serve, unavailable  # noqa: E402
from photos import photo_file  # noqa: E402

VIEWPORT = {"width": 1280, "height": 900}


def seed_activity(site: Site) -> None:
    """A few tasks, an account and a failure, so the dashboard has something to show."""
    admin = {"Authorization": f"Bearer {site.admin_key}"}
    user = {"Authorization": f"Bearer {site.key}"}
    httpx.post(f"{site.base_url}/api/admin/accounts", headers=admin,
               json={"name": "acme", "credits": 250}, timeout=10)
    made = []
    for prompt in ("a lighthouse at dusk", "a red bicycle", "a paper boat"):
        answer = httpx.post(f"{site.base_url}/api/v1/jobs/createTask", headers=user, timeout=10,
                            json={"model": "google/imagen4", "input": {"prompt": prompt}})
        made.append(answer.json()["data"]["taskId"])
    waiting = httpx.post(f"{site.base_url}/api/v1/jobs/createTask", headers=user, timeout=10,
                         json={"model": "google/nano-banana", "input": {"prompt": "x"}})
    httpx.post(f"{site.base_url}/api/v1/jobs/cancelTask", headers=user, timeout=10,
               json={"taskId": waiting.json()["data"]["taskId"]})
    time.sleep(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    if reason := unavailable():
        sys.exit(reason)
    from playwright.sync_api import expect

    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "data") as site, \
            browser() as chromium:
        page = chromium.new_page(viewport=VIEWPORT)
        page.set_default_timeout(30_000)
        page.goto(f"{site.base_url}/")
        page.fill("#f-apiKey", site.key)
        page.click("#signin-form button")
        page.select_option("#f-image_size", "landscape_16_9")
        page.set_input_files('input.file[data-field="image_url"]', files=[
            {"name": "coffee.png", "mimeType": "image/png", "buffer": photo_file()}])
        expect(page.locator("#f-image_url")).to_have_value(re.compile("^http"))
        page.click("#submit")
        expect(page.locator("figcaption .size")).to_have_text(re.compile("\N{MULTIPLICATION SIGN}"))
        page.locator("details.params").evaluate("d => { d.open = false; }")
        page.screenshot(path=args.out / "playground.png", full_page=True)

        seed_activity(site)
        page.goto(f"{site.base_url}/dashboard")
        page.fill("#f-adminKey", site.admin_key)
        page.click("#signin-form button")
        expect(page.locator("#accounts")).to_contain_text("acme")
        expect(page.locator("#failures")).to_contain_text("CANCELED")
        page.screenshot(path=args.out / "dashboard.png", full_page=True)
    print(f"wrote {args.out / 'playground.png'} and {args.out / 'dashboard.png'}")


if __name__ == "__main__":
    main()
