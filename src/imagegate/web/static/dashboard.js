// The operator's dashboard: sign in with the admin key, then the accounts (accounts.js) and
// the overview (overview.js), both read again every few seconds.

import { call, keyStore } from "./api.js";
import { $ } from "./dom.js";
import { accounts } from "./accounts.js";
import { clearErrors, showError } from "./form.js";
import { renderOverview } from "./overview.js";

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

const accountList = accounts(admin, failed);

async function refresh() {
  try {
    const [overview] = await Promise.all([admin("/overview"), accountList.load()]);
    renderOverview(overview);
  } catch (error) {
    // A stored key that no longer works (the admin key was changed): back to signing in.
    if (error.code === 401) signOut(error.message);
    else failed(error);
  }
}

async function enter() {
  show(true);
  await refresh();
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
  $("#account-form").addEventListener("submit", accountList.create);
  $("#sign-out").addEventListener("click", () => signOut());
  if (adminKey.get()) await enter();
  else show(false);
  document.body.dataset.ready = "true";
}

start();
