// Input images: a URL field that a dropped or picked file fills in, once the upload API
// (POST /api/file-stream-upload) has stored it and answered its URL. A list field (several
// images) takes one URL per line.

import { h, replace } from "./dom.js";

export function imageInput(name, { list = false, maxItems = 1, upload, onError }) {
  const text = list
    ? h("textarea", { id: `f-${name}`, name, rows: 2, placeholder: "https://… (one URL a line)" })
    : h("input", { id: `f-${name}`, name, type: "text", inputmode: "url", placeholder: "https://…" });
  const previews = h("div", { class: "previews" });
  const picker = h("input", {
    type: "file", accept: "image/jpeg,image/png,image/webp", multiple: list,
    class: "file", "aria-label": `Upload an image for ${name}`, dataset: { field: name },
  });
  // Sent as typed (trimmed): a malformed URL is for the API to refuse, in its own words.
  const urls = () => (list ? text.value.split("\n") : [text.value]).map((u) => u.trim()).filter(Boolean);
  const show = () => replace(previews, urls().slice(0, maxItems).filter((url) => /^https?:\/\//i.test(url))
    .map((url) => h("img", { src: url, alt: "input image", class: "thumb" })));

  async function add(files) {
    for (const file of [...files].slice(0, list ? maxItems : 1)) {
      zone.classList.add("busy");
      try {
        const form = new FormData();
        form.append("file", file);
        form.append("uploadPath", "playground");
        const stored = await upload(form);
        text.value = list ? [...urls(), stored.downloadUrl].join("\n") : stored.downloadUrl;
      } catch (error) {
        onError(error);
      } finally {
        zone.classList.remove("busy");
      }
    }
    show();
    text.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // No tab stop of its own: the file input inside the label is the keyboard's way in, and
  // its focus shows on the label (style.css).
  const zone = h("div", { class: "dropzone" },
    h("span", {}, "Drop an image here, or "),
    h("label", { class: "button small" }, "choose a file", picker),
    text, previews);
  picker.addEventListener("change", () => add(picker.files));
  // As typed or pasted: shown on "change" (the blur), the preview would move the buttons
  // below it between the press and the release of a click on one of them.
  text.addEventListener("input", show);
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files.length) add(event.dataTransfer.files);
    else {
      // An image dragged from another page arrives as its URL.
      const url = event.dataTransfer.getData("text/uri-list") || event.dataTransfer.getData("text/plain");
      if (url) {
        text.value = list ? [...urls(), url.trim()].join("\n") : url.trim();
        show();
      }
    }
  });

  return {
    element: zone,
    control: text,
    value: () => (list ? urls() : urls()[0]),
    set(value) {
      text.value = Array.isArray(value) ? value.join("\n") : value || "";
      show();
    },
  };
}
