// A task as the playground shows it: its state and progress while it runs (its live events,
// GET /api/v1/jobs/events, read with fetch since EventSource cannot send the Authorization
// header; else polling recordInfo, and polling again, later and later, when a poll fails),
// then its results with download links and the parameters that made them, and, where the
// model took an input image, the source outlined on each result and a before/after view.

import { TERMINAL, call, query } from "./api.js";
import { compareView, placeBox, placement } from "./compare.js";
import { badge, h, prose, replace, table, when } from "./dom.js";

const POLL_MS = 600; // recordInfo allows 10 queries a second per key; the page needs far fewer
// After a failed poll: wait 1 s, then twice as long after each further failure, up to 30 s.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A failure that a later poll may not meet: no answer at all (status 0), the rate limit, the
// server's own trouble or its maintenance (455), by HTTP status or by the envelope's code (the
// operator may answer refusals with HTTP 200). A refused key, an unknown task or a switched-off
// feature (505) will not get better.
const passingCode = (n) => n === 429 || n === 455 || (n >= 500 && n !== 505);
const passing = (error) => error.status === 0 || passingCode(error.status) || passingCode(error.code);

export const record = (key, taskId) => call(key, `/api/v1/jobs/recordInfo?${query({ taskId })}`);

// Server-Sent Events from a fetch body: `onEvent({event, id, data})` for each event, `data`
// parsed as JSON; resolves when the stream ends. Comments (": keep-alive") and "retry:" are
// skipped, as the SSE grammar says.
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = { event: "message", id: null, data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (event.data.length) {
          const text = event.data.join("\n");
          let data = text;
          try { data = JSON.parse(text); } catch { /* a plain text event */ }
          if (onEvent({ event: event.event, id: event.id, data }) === false) {
            await reader.cancel();
            return;
          }
        }
        event = { event: "message", id: event.id, data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const field = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") event.event = field;
      else if (name === "data") event.data.push(field);
      else if (name === "id") event.id = field;
    }
  }
}

// The task's live events until its record: `onUpdate(record)` for each (a state or progress
// merged into what was shown), resolves with the final record; null where the server offers
// no stream or it broke off before the record (the caller polls).
async function followEvents(key, taskId, onUpdate) {
  let response;
  try {
    response = await fetch(`/api/v1/jobs/events?${query({ taskId })}`, {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${key}` },
    });
  } catch {
    return null;
  }
  if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
    return null;
  }
  let shown = { taskId };
  let final = null;
  try {
    await readEvents(response.body, ({ event, data }) => {
      if (typeof data !== "object" || data === null) return true;
      shown = event === "record" ? data : { ...shown, ...data };
      onUpdate(shown);
      if (event === "record") {
        final = data;
        return false;
      }
      return true;
    });
  } catch {
    return null; // broken off: polling takes over
  }
  return final;
}

// Follow the task until it ends: its live events where the server streams them, else (or once
// the stream breaks off) polling; `onUpdate(record)` after every event or answer,
// `onRetry({error, attempt, delayMs})` before each wait after a failed poll; resolves with the
// last record.
export async function follow(key, taskId, onUpdate, onRetry = () => {}) {
  const streamed = await followEvents(key, taskId, onUpdate);
  if (streamed) return streamed;
  let failures = 0;
  for (;;) {
    let data;
    try {
      data = await record(key, taskId);
    } catch (error) {
      if (!passing(error)) throw error;
      failures += 1;
      const delayMs = Math.min(RETRY_FIRST_MS * 2 ** (failures - 1), RETRY_MAX_MS);
      onRetry({ error, attempt: failures, delayMs });
      await sleep(delayMs);
      continue;
    }
    failures = 0;
    onUpdate(data);
    if (TERMINAL.has(data.state)) return data;
    await sleep(POLL_MS);
  }
}

// What the page says while it waits to poll again.
export const retryNote = ({ error, attempt, delayMs }) => h("p", { class: "warn-text retrying", role: "status" },
  `Polling the task failed (${error.message}). Trying again in ${Math.round(delayMs / 1000)} s`
  + ` (attempt ${attempt + 1}); the task goes on meanwhile.`);

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
      placeBox(box, where);
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

// The results of a finished task: each result (the source outlined on it, where there is
// one), then before/after of the first.
export function resultsView(data, imageFields = []) {
  const sent = params(data);
  const input = sent.input || {};
  const sourceUrl = firstImage(input, imageFields);
  // Loaded once, never shown: its size places the outlines.
  const source = sourceUrl ? h("img", { src: sourceUrl, alt: "" }) : null;
  const urls = resultUrls(data);
  return h("section", { class: "results" },
    urls.map((url, index) => resultFigure(url, index, source)),
    source && urls.length ? compareView(sourceUrl, urls[0]) : null,
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
      deliveries.attempts.map((a) => [a.attempt, when(a.at), a.status ?? "—", prose(a.error ?? ""), `${a.durationMs} ms`])) : null,
    h("details", {}, h("summary", {}, "Record (recordInfo)"), h("pre", {}, JSON.stringify(data, null, 2))));
}
