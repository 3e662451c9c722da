"""How the pages look and answer, in a real chromium against a real server: the keyboard's
focus shows on the file picker (issue 20, point 13), the theme follows the system's light or
dark with readable contrast (point 14), and a reframe or an edit has a before/after view that
a drag or the slider moves (point 14)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from browser_site import DESKTOP, Site
from photos import photo_file
from web_pages import sign_in

expect = pytest.importorskip("playwright.sync_api").expect

PICKER = 'input.file[data-field="image_url"]'


def test_the_file_picker_shows_the_keyboards_focus(page: Any, site: Site) -> None:
    sign_in(page, site)  # the reframe's form: its image_url has a picker
    label = page.locator(f"label.button:has({PICKER})")
    outline = "l => `${getComputedStyle(l).outlineStyle} ${getComputedStyle(l).outlineWidth}`"
    assert label.evaluate(outline).startswith("none")
    page.focus("#f-model")
    for _ in range(10):  # from the model's select, by Tab only
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('input.file')"):
            break
    else:
        pytest.fail("Tab never reached the file picker")
    style, width = label.evaluate(outline).split()
    assert style == "solid" and float(width.removesuffix("px")) >= 2, (style, width)
    page.keyboard.press("Tab")
    assert label.evaluate(outline).startswith("none")


def rgb(color: str) -> tuple[float, ...]:
    values = [float(v) for v in re.findall(r"[\d.]+", color)[:3]]
    return tuple(values)


def luminance(color: str) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(v) for v in rgb(color))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# (what, element, the element whose background it sits on)
PAIRS = [
    ("text", "body", "body"),
    ("a label", ".field label", ".panel"),
    ("help", ".help", ".panel"),
    ("a field", "#f-image_url", "#f-image_url"),
    ("Generate", "#submit", "#submit"),
    ("the price", "#price", ".panel"),
    ("a link", "header .brand", "header"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_theme_follows_the_system_and_stays_readable(
        chromium: Any, site: Site, scheme: str) -> None:
    context = chromium.new_context(viewport=DESKTOP, color_scheme=scheme)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, site)
        expect(page.locator("#price")).to_contain_text("credits")
        page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (luminance(page_background) < 0.05) == (scheme == "dark"), page_background
        for what, element, ground in PAIRS:
            color = page.locator(element).first.evaluate("e => getComputedStyle(e).color")
            background = page.locator(ground).first.evaluate(
                "e => getComputedStyle(e).backgroundColor")
            assert contrast(color, background) >= 4.5, (scheme, what, color, background)
        # Form controls follow too (color-scheme), not only the page's own colours.
        assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == scheme
    finally:
        context.close()


def stage_point(page: Any, fraction: float) -> dict[str, float]:
    box = page.locator(".compare-stage").bounding_box()
    return {"x": box["x"] + box["width"] * fraction, "y": box["y"] + box["height"] / 2}


def on_top(page: Any, point: dict[str, float]) -> str:
    """The alt text of the image the user sees at ``point``."""
    return str(page.evaluate("([x, y]) => document.elementFromPoint(x, y).alt",
                             [point["x"], point["y"]]))


def test_a_reframe_has_a_before_after_view_that_a_drag_moves(page: Any, site: Site) -> None:
    sign_in(page, site)
    page.select_option("#f-image_size", "square_hd")
    page.select_option("#f-rendering_speed", "TURBO")
    page.set_input_files(PICKER, files=[
        {"name": "coffee.png", "mimeType": "image/png", "buffer": photo_file()}])
    expect(page.locator("#f-image_url")).to_have_value(re.compile("^http"))
    page.click("#submit")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=30_000)
    compare = page.locator(".compare")
    before, after = compare.locator('img[alt^="before"]'), compare.locator('img[alt^="after"]')
    expect(after).not_to_have_js_property("naturalWidth", 0)
    expect(before).not_to_have_js_property("naturalWidth", 0)
    # The source (600 x 400) where the reframe put it on the 1024 x 1024 result: the full
    # width, two thirds of the height, centred.
    stage = page.locator(".compare-stage").bounding_box()
    placed = before.bounding_box()
    assert abs(placed["width"] - stage["width"]) <= 2
    assert abs(placed["height"] - stage["height"] * 400 / 600) <= 2
    assert abs((placed["y"] - stage["y"]) - (stage["height"] - placed["height"]) / 2) <= 2

    slider = compare.locator("input[type=range]")
    compare.scroll_into_view_if_needed()  # the points below are the viewport's
    middle = stage_point(page, 0.5)
    slider.fill("100")
    assert on_top(page, middle).startswith("before")
    slider.fill("0")
    assert on_top(page, middle).startswith("after")
    # A drag across the picture moves the handle with it.
    page.mouse.move(**stage_point(page, 0.2))
    page.mouse.down()
    page.mouse.move(**stage_point(page, 0.8), steps=5)
    page.mouse.up()
    assert int(slider.input_value()) == pytest.approx(80, abs=2)
    assert on_top(page, middle).startswith("before")
    assert on_top(page, stage_point(page, 0.9)).startswith("after")
    # The keyboard moves it too.
    slider.focus()
    page.keyboard.press("Home")
    assert on_top(page, middle).startswith("after")


def test_an_edit_has_a_before_after_view_too(page: Any, site: Site) -> None:
    sign_in(page, site)
    page.select_option("#f-model", "qwen/image-edit")
    page.fill("#f-prompt", "make the cup blue")
    page.set_input_files(PICKER, files=[
        {"name": "coffee.png", "mimeType": "image/png", "buffer": photo_file()}])
    expect(page.locator("#f-image_url")).to_have_value(re.compile("^http"))
    page.click("#submit")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=30_000)
    expect(page.locator('.compare img[alt^="before"]')).not_to_have_js_property("naturalWidth", 0)
    expect(page.locator('.compare img[alt^="after"]')).not_to_have_js_property("naturalWidth", 0)


def test_a_text_to_image_task_has_no_before_after(page: Any, site: Site) -> None:
    sign_in(page, site)
    page.select_option("#f-model", "google/imagen4-fast")
    page.fill("#f-prompt", "a lighthouse")
    page.click("#submit")
    expect(page.locator("#output .status .badge")).to_have_text("success", timeout=30_000)
    expect(page.locator("img.result")).to_have_count(1)
    expect(page.locator(".compare")).to_have_count(0)
