// The operator's dashboard: accounts and their keys (create, top up, revoke), and the
// overview (GET /api/admin/overview): queue and throughput per model, engines' circuit
// breakers, live workers, failing callbacks and recent failures. Needs the admin key.

import { ApiError, call, keyStore, query } from "./api.js";
import { $, badge, h, replace, table, when } from "./dom.js";
import { clearErrors, showError } from "./form.js";

const adminKey = keyStore("imagegate.adminKey");
const REFRESH_MS = 5000;
let timer = null;

const admin = (path, options) => call(adminKey.get(), `/api/admin${path}`, options);

function show(signedIn) {
  $("#signin").hidden = signedIn;
  $("#board").hidden = !signedIn;
  $("#sign-out").hidden = !signedIn;
}

function signOut(message = "") {
  adminKey.clear();
  clearInterval(timer);
  show(false);
  if (message) showError($("#signin-form"), "adminKey", message);
}

function failed(error) {
  const box = $("#accounts-error");
  box.textContent = error.message;
  box.hidden = false;
}

function revealSecret(label, secret) {
  replace($("#secret"), h("p", { class: "secret" }, `${label} (shown once): `, h("code", {}, secret)));
}

async function keysOf(account, host) {
  const keys = await admin(`/keys?${query({ accountId: account.id })}`);
  replace(host, table(["key", "name", "status", "created", ""], keys.map((key) => [
    h("code", {}, `${key.keyPrefix}…`), key.name ?? "", badge(key.status), when(key.createdAt),
    key.status === "revoked" ? "" : h("button", { class: "small danger", type: "button",
      onclick: () => revoke(key, account, host) }, "Revoke")])),
  h("button", { class: "small", type: "button", onclick: () => newKey(account, host) }, "New key"));
}

async function revoke(key, account, host) {
  try {
    await admin(`/keys/${encodeURIComponent(key.id)}/revoke`, { method: "POST" });
    await keysOf(account, host);
  } catch (error) {
    failed(error);
  }
}

async function newKey(account, host) {
  try {
    const made = await admin(`/accounts/${encodeURIComponent(account.id)}/keys`, { method: "POST", body: {} });
    revealSecret(`New key of ${account.name}`, made.apiKey);
    await keysOf(account, host);
  } catch (error) {
    failed(error);
  }
}

function topUp(account) {
  const amount = h("input", { type: "number", value: 100, "aria-label": `credits for ${account.name}` });
  const error = h("span", { class: "error-text" });
  const button = h("button", { class: "small", type: "button" }, "Top up");
  button.addEventListener("click", async () => {
    error.textContent = "";
    try {
      await admin(`/accounts/${encodeURIComponent(account.id)}/credits`,
        { method: "POST", body: { credits: Number(amount.value) } });
      await loadAccounts();
    } catch (refused) {
      error.textContent = refused.message;
    }
  });
  return h("div", { class: "inline" }, amount, button, error);
}

async function loadAccounts() {
  const accounts = await admin("/accounts");
  replace($("#accounts"), table(["name", "id", "credits", "status", "top up", "keys"],
    accounts.map((account) => {
      const keys = h("div");
      const open = h("button", { class: "small", type: "button", onclick: () => keysOf(account, keys).catch(failed) }, "Show keys");
      keys.append(open);
      return [account.name, h("code", {}, account.id), account.credits,
        badge(account.disabled ? "disabled" : "active"), topUp(account), keys];
    })));
}

async function createAccount(event) {
  event.preventDefault();
  const form = $("#account-form");
  clearErrors(form);
  try {
    const made = await admin("/accounts", { method: "POST",
      body: { name: $("#f-name").value.trim(), credits: Number($("#f-credits").value || 0) } });
    revealSecret(`API key of ${made.name}`, made.apiKey);
    $("#f-name").value = "";
    await loadAccounts();
  } catch (error) {
    if (!(error instanceof ApiError && showError(form, error.field, error.message))) failed(error);
  }
}

function renderOverview(data) {
  const busy = data.models.filter((m) => m.waiting + m.queuing + m.generating + m.lastHour.created > 0);
  const idle = data.models.length - busy.length;
  replace($("#models"), table(
    ["model", "waiting", "queuing", "generating", "oldest waiting", "last hour: created", "succeeded", "failed", "avg run"],
    busy.map((m) => [m.model, m.waiting, m.queuing, m.generating,
      m.oldestWaitingMs == null ? "—" : `${Math.round(m.oldestWaitingMs / 1000)} s`,
      m.lastHour.created, m.lastHour.succeeded, m.lastHour.failed,
      m.lastHour.avgCostMs == null ? "—" : `${m.lastHour.avgCostMs} ms`])),
  h("p", { class: "muted" }, `${idle} other models: nothing queued, nothing in the last hour.`));
  const routes = Object.entries(data.routes);
  replace($("#engines"), table(["engine", "breaker", "failures", "open until", "models"],
    Object.entries(data.engines).map(([name, breaker]) => [name, badge(breaker.state), breaker.failures,
      breaker.openUntil ?? "—",
      routes.filter(([, engines]) => engines.includes(name)).map(([model]) => model).join(", ") || "—"])));
  replace($("#workers"), table(["worker", "host", "pid", "concurrency", "seen"],
    data.workers.map((w) => [h("code", {}, w.id), w.host, w.pid, w.concurrency, when(w.seenAt)])));
  replace($("#callbacks"), table(["task", "url", "state", "attempts", "last answer", "next attempt"],
    data.callbacks.failures.map((c) => [h("code", {}, c.taskId.slice(0, 12) + "…"), c.url, badge(c.state),
      c.attempts, c.lastStatus ?? c.lastError ?? "—", c.state === "dead" ? "—" : when(c.nextAttemptAt)])));
  replace($("#failures"), table(["when", "model", "account", "engine", "code", "message"],
    data.failures.map((f) => [when(f.failedAt), f.model, h("code", {}, f.accountId), f.engine ?? "—",
      f.failCode ?? "—", f.failMsg ?? ""])));
  $("#updated").textContent = `updated ${new Date(data.now).toLocaleTimeString()}`;
}

async function refresh() {
  try {
    renderOverview(await admin("/overview"));
  } catch (error) {
    // A stored key that no longer works (the admin key was changed): back to signing in.
    if (error.code === 401) signOut(error.message);
    else failed(error);
  }
}

async function enter() {
  show(true);
  await Promise.all([loadAccounts().catch(failed), refresh()]);
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

async function signIn(event) {
  event.preventDefault();
  const form = $("#signin-form");
  clearErrors(form);
  const candidate = $("#f-adminKey").value.trim();
  try {
    await call(candidate, "/api/admin/overview");
    adminKey.set(candidate);
    $("#f-adminKey").value = "";
    await enter();
  } catch (error) {
    showError(form, "adminKey", error.message);
  }
}

async function start() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#account-form").addEventListener("submit", createAccount);
  $("#sign-out").addEventListener("click", () => signOut());
  if (adminKey.get()) await enter();
  else show(false);
  document.body.dataset.ready = "true";
}

start();
