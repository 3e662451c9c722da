"""The request on screen, in a real chromium against a real server (issue 20, point 14): the
price beside Generate is what createTask debits, for every model of the catalog, whose form
renders from its schema; "Copy as curl" and "Copy as Python" (imagegate's own client) give
code that, run as it is, makes that very task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from browser_site import Site
from photos import photo_file
from web_pages import api, credits, new_account, sign_in, tasks

expect = pytest.importorskip("playwright.sync_api").expect

SRC = Path(__file__).resolve().parents[2] / "src"
# A prompt that code must carry intact: quotes of both kinds, a backslash, a line break and
# letters outside ASCII.
AWKWARD = 'it\'s a "café" \\ by the sea\nsecond line'


def shown_price(page: Any) -> float:
    """The price beside Generate, in credits."""
    milli = page.locator("#price").get_attribute("data-milli")
    assert milli, page.locator("#price").inner_text()
    return int(milli) / 1000


def run_snippet(argv: list[str], key: str) -> str:
    environment = {**os.environ, "IMAGEGATE_API_KEY": key, "PYTHONPATH": str(SRC)}
    done = subprocess.run(argv, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def uploaded_image(site: Site, key: str) -> str:
    answer = httpx.post(f"{site.base_url}/api/file-stream-upload", timeout=10,
                        headers={"Authorization": f"Bearer {key}"},
                        files={"file": ("coffee.png", photo_file(), "image/png")},
                        data={"uploadPath": "browser"})
    return str(answer.json()["data"]["downloadUrl"])


def test_the_price_beside_generate_is_what_the_task_debits(page: Any, site: Site) -> None:
    key = new_account(site, credits=1000)
    sign_in(page, site, key)
    page.select_option("#f-model", "ideogram/v3-text-to-image")
    price = page.locator("#price")
    expect(price).to_have_text("Price: 7 credits")  # BALANCED, one image
    page.select_option("#f-rendering_speed", "TURBO")
    page.select_option("#f-num_images", "3")
    expect(price).to_have_text("Price: 10.5 credits")
    page.fill("#f-prompt", "a logo for a bakery")
    page.click("#submit")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=20_000)
    expect(page.locator("#credits")).to_have_text("989.5 credits")
    assert credits(site, key) == 989.5

    # A count that depends on another field: wan/2-7-image makes 4 images without n, 12 in
    # its sequential mode.
    page.select_option("#f-model", "wan/2-7-image")
    expect(price).to_have_text("Price: 19.2 credits")
    page.check("#f-enable_sequential")
    expect(price).to_have_text("Price: 57.6 credits")
    page.fill("#f-prompt", "a comic strip of a cat")
    page.click("#submit")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=20_000)
    expect(page.locator("img.result")).to_have_count(12)
    expect(page.locator("#credits")).to_have_text("931.9 credits")
    assert credits(site, key) == 931.9


def test_a_price_above_the_balance_says_so(page: Any, site: Site) -> None:
    key = new_account(site, credits=5)
    sign_in(page, site, key)
    page.select_option("#f-model", "ideogram/v3-text-to-image")
    expect(page.locator("#price")).to_have_text("Price: 7 credits — more than the 5 credits left")
    page.select_option("#f-rendering_speed", "TURBO")
    expect(page.locator("#price")).to_have_text("Price: 3.5 credits")


def test_every_model_renders_its_form_and_is_charged_the_price_shown(
        page: Any, site: Site) -> None:
    models = api(site, "GET", "/api/v1/models")["data"]
    assert len(models) >= 59
    key = new_account(site, credits=100_000)
    image = uploaded_image(site, key)
    sign_in(page, site, key)
    prices: dict[str, float] = {}
    made: dict[str, str] = {}
    for model in models:
        name, schema = model["model"], model["schema"]
        page.select_option("#f-model", name)
        fields = page.locator("#fields > .field")
        expect(fields).to_have_count(len(schema["properties"]))
        assert fields.evaluate_all("rows => rows.map(r => r.dataset.field)") == list(
            schema["properties"]), name
        for field in schema.get("required", []):
            spec = schema["properties"][field]
            if field in model["imageFields"]:
                page.fill(f"#f-{field}", image)
            elif "enum" not in spec and not page.input_value(f"#f-{field}"):
                page.fill(f"#f-{field}", "a small test")
        prices[name] = shown_price(page)
        page.click("#copy-curl")
        code = page.locator("#request-code").inner_text()
        out = run_snippet(["bash", "-c", code], key)
        assert out, (name, code)
        answer = json.loads(out)
        assert answer["code"] == 200, (name, answer, code)
        made[answer["data"]["taskId"]] = name

    ended = {task["taskId"]: task for task in tasks(site, key)}
    assert set(ended) == set(made)
    for task_id, name in made.items():
        task = ended[task_id]
        assert task["state"] == "success", (name, task.get("failMsg"))
        assert task["consumeCredits"] == prices[name], name
    assert credits(site, key) == pytest.approx(100_000 - sum(prices.values()), abs=1e-6)


def test_copy_as_python_runs_with_imagegates_client(page: Any, site: Site) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    key = new_account(site)
    sign_in(page, site, key)
    page.select_option("#f-model", "google/imagen4")
    page.fill("#f-prompt", AWKWARD)
    page.select_option("#f-aspect_ratio", "16:9")
    page.locator("details", has_text="Callback").locator("summary").click()
    hook = "http://127.0.0.1:9/hook"  # nothing listens; the task is made all the same
    page.fill("#f-callBackUrl", hook)
    price = shown_price(page)

    page.click("#copy-python")
    expect(page.locator("#copied")).to_contain_text("Copied the Python")
    code = page.locator("#request-code").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == code
    assert "from imagegate.client import Client" in code and key not in code
    state, *urls = run_snippet([sys.executable, "-c", code], key).splitlines()
    assert state == "success" and len(urls) == 1 and urls[0].startswith(site.base_url), urls

    page.click("#copy-curl")
    curl = page.locator("#request-code").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == curl
    assert json.loads(run_snippet(["bash", "-c", curl], key))["code"] == 200

    made = tasks(site, key)
    assert len(made) == 2
    for task in made:  # the same request twice: by Python, then by curl
        sent = json.loads(task["param"])
        assert sent["model"] == "google/imagen4"
        assert sent["input"]["prompt"] == AWKWARD
        assert sent["input"]["aspect_ratio"] == "16:9"
        assert sent["callBackUrl"] == hook
        assert task["consumeCredits"] == price
