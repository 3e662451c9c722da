// The dashboard's overview (GET /api/admin/overview): queue and throughput per model,
// engines' circuit breakers with the models they serve, live workers, failing callbacks and
// recent failures.

import { $, badge, h, prose, replace, table, when } from "./dom.js";

// A model's name on one line: "ideogram/v3-reframe" broken at its hyphen reads as two names.
const name = (model) => h("span", { class: "nowrap" }, model);

// An engine's models: a few shown, a long list (the mock engine serves dozens) folded.
const FOLD_AFTER = 6;
function modelList(models) {
  if (!models.length) return "—";
  const items = h("ul", { class: "models" }, models.map((model) => h("li", {}, name(model))));
  if (models.length <= FOLD_AFTER) return items;
  return h("details", {}, h("summary", {}, `${models.length} models`), items);
}

export function renderOverview(data) {
  const busy = data.models.filter((m) => m.waiting + m.queuing + m.generating + m.lastHour.created > 0);
  const idle = data.models.length - busy.length;
  replace($("#models"), table(
    ["model", "waiting", "queuing", "generating", "oldest waiting", "last hour: created", "succeeded", "failed", "avg run"],
    busy.map((m) => [name(m.model), m.waiting, m.queuing, m.generating,
      m.oldestWaitingMs == null ? "—" : `${Math.round(m.oldestWaitingMs / 1000)} s`,
      m.lastHour.created, m.lastHour.succeeded, m.lastHour.failed,
      m.lastHour.avgCostMs == null ? "—" : `${m.lastHour.avgCostMs} ms`])),
  h("p", { class: "muted" }, `${idle} other models: nothing queued, nothing in the last hour.`));
  const routes = Object.entries(data.routes);
  replace($("#engines"), table(["engine", "breaker", "failures", "open until", "models"],
    Object.entries(data.engines).map(([name, breaker]) => [name, badge(breaker.state), breaker.failures,
      breaker.openUntil ?? "—",
      modelList(routes.filter(([, engines]) => engines.includes(name)).map(([model]) => model))])));
  replace($("#workers"), table(["worker", "host", "pid", "concurrency", "seen"],
    data.workers.map((w) => [h("code", {}, w.id), w.host, w.pid, w.concurrency, when(w.seenAt)])));
  replace($("#callbacks"), table(["task", "url", "state", "attempts", "last answer", "next attempt"],
    data.callbacks.failures.map((c) => [h("code", {}, c.taskId.slice(0, 12) + "…"), prose(c.url), badge(c.state),
      c.attempts, c.lastStatus ?? prose(c.lastError ?? "—"), c.state === "dead" ? "—" : when(c.nextAttemptAt)])));
  replace($("#failures"), table(["when", "model", "account", "engine", "code", "message"],
    data.failures.map((f) => [when(f.failedAt), name(f.model), h("code", {}, f.accountId), f.engine ?? "—",
      f.failCode ?? "—", prose(f.failMsg ?? "")])));
  $("#updated").textContent = `updated ${new Date(data.now).toLocaleTimeString()}`;
}
