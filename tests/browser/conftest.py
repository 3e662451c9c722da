"""The browser tests' fixtures: one ``imagegate serve`` and one headless chromium for each
module, a fresh browser context (empty storage) for each test. Skipped, with the reason, on a
machine without chromium or Playwright, so the suite still passes on a laptop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser_site import DESKTOP, Site, browser, serve, unavailable

_REASON = unavailable()
if _REASON is None:
    from playwright.sync_api import expect

    # As the pages' default timeout below: on a loaded machine (the whole suite on two cores)
    # a page can take longer than Playwright's 5 s to show what a test expects.
    expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if _REASON is not None:
        pytest.skip(_REASON)
    with serve(tmp_path_factory.mktemp("browser") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if _REASON is not None:
        pytest.skip(_REASON)
    with browser() as launched:
        yield launched


@pytest.fixture
def page(chromium: Any, site: Site) -> Iterator[Any]:
    """A page in a fresh context; any uncaught error of the page's scripts fails the test."""
    context = chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"the page's scripts failed: {errors}\n{site.output()[-3000:]}"
