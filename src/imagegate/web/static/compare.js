// Before/after for a task that took an image (a reframe, an edit, an upscale): the result, and
// over it the source placed where the model put it, shown left of a handle that a drag, a tap
// or the slider (keyboard: arrows) moves.

import { h } from "./dom.js";

// Where the classic reframe puts the source: scaled to fit, aspect kept, centred
// (engines/classic/geometry.py place()); an edit keeps the whole frame, which this also gives.
// Fractions of the result's width and height.
export function placement(sourceWidth, sourceHeight, width, height) {
  const scale = Math.min(width / sourceWidth, height / sourceHeight);
  const inner = [Math.round(sourceWidth * scale), Math.round(sourceHeight * scale)];
  return { left: (width - inner[0]) / 2 / width, top: (height - inner[1]) / 2 / height,
    width: inner[0] / width, height: inner[1] / height };
}

const loaded = (image) => (image.complete && image.naturalWidth
  ? Promise.resolve()
  : new Promise((resolve) => image.addEventListener("load", resolve, { once: true })));

// Sides of a box as percentages, through the CSSOM: the page's CSP refuses style attributes.
export function placeBox(element, where) {
  for (const side of ["left", "top", "width", "height"]) element.style[side] = `${where[side] * 100}%`;
}

export function compareView(sourceUrl, resultUrl) {
  // Not draggable: a drag would carry the picture away (HTML drag and drop) instead of
  // moving the handle.
  const after = h("img", { src: resultUrl, alt: "after: the result", draggable: "false" });
  const before = h("img", { src: sourceUrl, alt: "before: the source", draggable: "false" });
  const layer = h("div", { class: "before-layer" }, before);
  const handle = h("div", { class: "handle" });
  const stage = h("div", { class: "compare-stage" }, after, layer, handle,
    h("span", { class: "compare-label before" }, "Before"),
    h("span", { class: "compare-label after" }, "After"));
  const slider = h("input", { type: "range", min: 0, max: 100, step: 1, value: 50,
    "aria-label": "Before and after: the share of the picture that shows the source" });

  const show = () => {
    layer.style.clipPath = `inset(0 ${100 - Number(slider.value)}% 0 0)`;
    handle.style.left = `${slider.value}%`;
  };
  const follow = (event) => {
    const box = stage.getBoundingClientRect();
    slider.value = String(Math.round(((event.clientX - box.left) / box.width) * 100));
    show();
  };
  slider.addEventListener("input", show);
  stage.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    stage.setPointerCapture(event.pointerId);
    follow(event);
  });
  stage.addEventListener("pointermove", (event) => {
    if (stage.hasPointerCapture(event.pointerId)) follow(event);
  });
  Promise.all([loaded(after), loaded(before)]).then(() => placeBox(before,
    placement(before.naturalWidth, before.naturalHeight, after.naturalWidth, after.naturalHeight)));
  show();
  return h("figure", { class: "result-card compare" }, h("div", { class: "compare-box" }, stage, slider),
    h("figcaption", { class: "muted" }, "Before and after: drag across the picture or move the slider"));
}
