// The dashboard's accounts: the table (credits, status, a top-up, the keys: list, new,
// revoke), kept current in place, and the form that creates an account. Every call goes
// through `admin` (the admin API with the stored key); `failed` shows what went wrong.

import { ApiError, query } from "./api.js";
import { $, badge, h, replace, table, when } from "./dom.js";
import { clearErrors, showError } from "./form.js";

export function accounts(admin, failed) {
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
    const error = h("p", { class: "error-text small-text" });
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
    return h("div", {}, h("div", { class: "inline nowrap" }, amount, button), error);
  }

  // The accounts table's rows by account id. A reload updates each row's credits and status
  // in place, so the overview's timer keeps balances current (a task's debit, a top-up made
  // elsewhere) without wiping an amount being typed or a key list left open.
  const accountRows = new Map();

  function accountRow(account) {
    const keys = h("div");
    keys.append(h("button", { class: "small", type: "button", onclick: () => keysOf(account, keys).catch(failed) }, "Show keys"));
    const credits = h("td", { class: "credits-cell" });
    const status = h("td");
    // The id last: on a phone the columns that change (credits, status) stay in view.
    const tr = h("tr", { dataset: { account: account.id } }, h("td", {}, account.name),
      credits, status, h("td", {}, topUp(account)), h("td", {}, keys), h("td", {}, h("code", {}, account.id)));
    return { tr, update(fresh) {
      credits.textContent = fresh.credits;
      replace(status, badge(fresh.disabled ? "disabled" : "active"));
    } };
  }

  async function loadAccounts() {
    const accounts = await admin("/accounts");
    let body = $("#accounts tbody");
    if (!body) {
      replace($("#accounts"), table(["name", "credits", "status", "top up", "keys", "id"], []));
      body = $("#accounts tbody");
      body.replaceChildren();
    }
    const seen = new Set();
    accounts.forEach((account, index) => {
      seen.add(account.id);
      if (!accountRows.has(account.id)) accountRows.set(account.id, accountRow(account));
      const entry = accountRows.get(account.id);
      entry.update(account);
      // Moved only when out of place: moving a row would take the focus from its input.
      if (body.children[index] !== entry.tr) body.insertBefore(entry.tr, body.children[index] || null);
    });
    for (const [id, entry] of accountRows) {
      if (!seen.has(id)) {
        entry.tr.remove();
        accountRows.delete(id);
      }
    }
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

  return { load: loadAccounts, create: createAccount };
}
