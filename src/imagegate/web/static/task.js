// A task as the playground shows it: its state and progress while it runs (polling
// recordInfo), then its results with download links and the parameters that made them, and,
// where the model took an input image, the source beside the result and outlined on it.

import { TERMINAL, call, query } from "./api.js";
import { badge, h, replace, table, when } from "./dom.js";

const POLL_MS = 600; // recordInfo allows 10 queries a second per key; the page needs far fewer

export const record = (key, taskId) => call(key, `/api/v1/jobs/recordInfo?${query({ taskId })}`);

// Poll until the task ends; `onUpdate(record)` after every answer; resolves with the last one.
export async function follow(key, taskId, onUpdate) {
  for (;;) {
    const data = await record(key, taskId);
    onUpdate(data);
    if (TERMINAL.has(data.state)) return data;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export const resultUrls = (data) => (data.resultJson ? JSON.parse(data.resultJson).resultUrls || [] : []);

export function params(data) {
  try {
    return JSON.parse(data.param);
  } catch {
    return {};
  }
}

export function statusView(data) {
  return h("div", { class: "status", dataset: { state: data.state } },
    badge(data.state),
    h("progress", { max: 100, value: data.progress ?? 0, "aria-label": "progress" }),
    h("span", { class: "muted" }, `${data.progress ?? 0}%`),
    data.failMsg ? h("p", { class: "error-text" }, `${data.failCode || "fail"}: ${data.failMsg}`) : null);
}

// Where the classic reframe puts the source: scaled to fit, aspect kept, centred
// (engines/classic/geometry.py place()); an edit keeps the whole frame, which this also gives.
function placement(sourceWidth, sourceHeight, width, height) {
  const scale = Math.min(width / sourceWidth, height / sourceHeight);
  const inner = [Math.round(sourceWidth * scale), Math.round(sourceHeight * scale)];
  return { left: (width - inner[0]) / 2 / width, top: (height - inner[1]) / 2 / height,
    width: inner[0] / width, height: inner[1] / height };
}

function resultFigure(url, index, source) {
  const image = h("img", { src: url, alt: `result ${index + 1}`, class: "result" });
  const size = h("span", { class: "muted size" });
  const frame = h("div", { class: "frame" }, image);
  const figure = h("figure", { class: "result-card" }, frame,
    h("figcaption", {}, size, " ", h("a", { href: url, download: "", target: "_blank", rel: "noopener" }, "Download")));
  image.addEventListener("load", () => {
    size.textContent = `${image.naturalWidth} × ${image.naturalHeight}`;
    if (!source) return;
    const outline = () => {
      const where = placement(source.naturalWidth, source.naturalHeight, image.naturalWidth, image.naturalHeight);
      const box = h("div", { class: "outline", title: "the source image" });
      // Through the CSSOM: the page's CSP refuses style attributes.
      for (const side of ["left", "top", "width", "height"]) box.style[side] = `${where[side] * 100}%`;
      frame.append(box);
    };
    if (source.complete && source.naturalWidth) outline();
    else source.addEventListener("load", outline, { once: true });
  });
  return figure;
}

function firstImage(input, imageFields) {
  for (const name of imageFields) {
    const value = input[name];
    if (typeof value === "string" && value) return value;
    if (Array.isArray(value) && value.length) return value[0];
  }
  return null;
}

// The results of a finished task: a before/after pair for image inputs, then each result.
export function resultsView(data, imageFields = []) {
  const sent = params(data);
  const input = sent.input || {};
  const sourceUrl = firstImage(input, imageFields);
  const source = sourceUrl ? h("img", { src: sourceUrl, alt: "source", class: "source" }) : null;
  const urls = resultUrls(data);
  return h("section", { class: "results" },
    source ? h("figure", { class: "result-card before" }, h("div", { class: "frame" }, source),
      h("figcaption", {}, "Before (outlined on each result)")) : null,
    urls.map((url, index) => resultFigure(url, index, source)),
    h("details", { class: "params", open: true }, h("summary", {}, "Parameters"),
      h("pre", {}, JSON.stringify({ model: data.model, ...sent, input }, null, 2))));
}

// The account's task with its record, its cost and its callback deliveries.
export async function taskPage(key, taskId, host, { imageFieldsOf, costOf }) {
  replace(host, h("p", { class: "muted" }, "Loading…"));
  const data = await record(key, taskId);
  const [deliveries, cost] = await Promise.all([
    call(key, `/api/v1/jobs/callbacks?${query({ taskId })}`), costOf(data)]);
  replace(host,
    h("h2", {}, "Task ", h("code", {}, data.taskId)),
    statusView(data),
    h("dl", { class: "facts" },
      ...[["model", data.model], ["engine", data.engine ?? "—"], ["cost", cost ?? "—"],
        ["created", when(data.createTime)], ["completed", when(data.completeTime)],
        ["run time", data.costTime != null ? `${data.costTime} ms` : "—"]]
        .flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
    data.state === "success" ? resultsView(data, imageFieldsOf(data.model)) : null,
    h("h3", {}, "Callback"),
    h("p", {}, deliveries.url ? ["To ", h("code", {}, deliveries.url), `: ${deliveries.state}`]
      : "This task asked for no callback."),
    deliveries.attempts.length ? table(["#", "at", "status", "error", "took"],
      deliveries.attempts.map((a) => [a.attempt, when(a.at), a.status ?? "—", a.error ?? "", `${a.durationMs} ms`])) : null,
    h("details", {}, h("summary", {}, "Record (recordInfo)"), h("pre", {}, JSON.stringify(data, null, 2))));
}
