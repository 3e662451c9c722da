// The playground: sign in with an API key, pick a model, fill the form its schema makes (its
// price and the request as code beside Generate), submit, follow the task to its results; the
// account's history, credits and task pages. Views are chosen by the URL's fragment
// (#history, #task/ID); the key is never in the URL.

import { ApiError, call, keyStore, query } from "./api.js";
import { $, h, replace } from "./dom.js";
import { buildForm, clearErrors, fieldRow, showError } from "./form.js";
import { historyList } from "./history.js";
import { codeButtons, showPrice } from "./request.js";
import { follow, resultsView, retryNote, statusView, taskPage } from "./task.js";

const key = keyStore("imagegate.apiKey");
// `balance`: the account's credits as last read (null: not known).
const state = { models: [], model: null, form: null, balance: null, code: null };
const history = historyList(key.get, $("#history-rows"), $("#history-more"));
const VIEWS = ["signin", "play", "history", "task"];

function show(view) {
  for (const name of VIEWS) $(`#${name}`).hidden = name !== view;
  $("#sign-out").hidden = view === "signin";
}

// An API refusal beside the field it names, or above the submit button when it names none.
function report(root, error, fallback) {
  const field = error.field === "callbackUrl" ? "callBackUrl" : error.field;
  if (error instanceof ApiError && showError(root, field, error.message)) return;
  fallback.textContent = error.message;
  fallback.hidden = false;
}

function showBalance(credits) {
  state.balance = credits;
  $("#credits").textContent = credits === null ? "" : `${credits} credits`;
  requestChanged();
}

async function refreshCredits() {
  try {
    showBalance(await call(key.get(), "/api/v1/chat/credit"));
  } catch (error) {
    showBalance(null);
    if (error.code === 401) signOut(error.message);
  }
}

// The request the form describes, as Generate would send it.
function request() {
  const body = { model: state.model.model, input: state.form.values() };
  const callback = $("#f-callBackUrl").value.trim();
  if (callback) body.callBackUrl = callback;
  return { endpoint: state.model.endpoint, body };
}

function requestChanged() {
  if (!state.form) return; // the catalog did not load
  showPrice(state.model, request().body.input, state.balance);
  state.code?.refresh();
}

function signOut(message = "") {
  key.clear();
  showBalance(null);
  if (message) showError($("#signin-form"), "apiKey", message);
  location.hash = "";
  route();
}

async function signIn(event) {
  event.preventDefault();
  const form = $("#signin-form");
  clearErrors(form);
  const candidate = $("#f-apiKey").value.trim();
  try {
    const credits = await call(candidate, "/api/v1/chat/credit");
    key.set(candidate);
    $("#f-apiKey").value = "";
    showBalance(credits);
    route();
  } catch (error) {
    showError(form, "apiKey", error.message);
  }
}

function chooseModel(name) {
  state.model = state.models.find((model) => model.model === name) || state.models[0];
  $("#f-model").value = state.model.model;
  $("#model-description").textContent = state.model.description;
  state.form = buildForm(state.model, $("#fields"), {
    upload: (form) => call(key.get(), "/api/file-stream-upload", { method: "POST", body: form }),
    onError: (error) => report($("#task-form"), error, $("#form-error")),
  });
  requestChanged();
}

async function loadModels() {
  state.models = await call("", "/api/v1/models");
  const select = $("#f-model");
  replace(select, state.models.map((model) => h("option", { value: model.model }, model.model)));
  select.addEventListener("change", () => chooseModel(select.value));
  chooseModel(state.models[0].model);
}

async function submit(event) {
  event.preventDefault();
  const form = $("#task-form");
  const formError = $("#form-error");
  clearErrors(form);
  formError.hidden = true;
  const { endpoint, body } = request();
  const button = $("#submit");
  button.disabled = true;
  const output = $("#output");
  try {
    const created = await call(key.get(), endpoint, { method: "POST", body });
    refreshCredits(); // the debit shows at once
    const imageFields = state.model.imageFields;
    const status = h("div");
    replace(output, h("p", {}, "Task ", h("a", { href: `#task/${created.taskId}` }, created.taskId)), status);
    let last = { state: "waiting" };
    const done = await follow(key.get(), created.taskId, (data) => {
      last = data;
      replace(status, statusView(data));
    }, (retry) => replace(status, statusView(last), retryNote(retry)));
    if (done.state === "success") output.append(resultsView(done, imageFields));
    else if (done.failMsg) report(form, new ApiError(done.failCode, done.failMsg, 200), formError);
    refreshCredits();
  } catch (error) {
    report(form, error, formError);
  } finally {
    button.disabled = false;
  }
}

// A task's cost is on its row of the task list (recordInfo, Kie's shape, has none): the list
// of the tasks created in the task's own millisecond, one read of the list's index at any age.
async function costOf(task) {
  const from = task.createTime;
  const page = await call(key.get(), `/api/v1/jobs/list?${query({ from, to: from + 1, limit: 100 })}`);
  return page.tasks.find((row) => row.taskId === task.taskId)?.consumeCredits;
}

async function route() {
  if (!key.get()) return show("signin");
  refreshCredits();
  const hash = location.hash.slice(1); // task ids are hex: nothing to decode
  try {
    if (hash.startsWith("task/")) {
      show("task");
      await taskPage(key.get(), hash.slice(5), $("#task"), { costOf,
        imageFieldsOf: (name) => state.models.find((m) => m.model === name)?.imageFields || [] });
    } else if (hash === "history") {
      show("history");
      await history.reload();
    } else show("play");
  } catch (error) {
    const where = hash.startsWith("task/") ? $("#task") : $("#history-rows");
    replace(where, h("p", { class: "error-text" }, error.message));
  }
}

async function start() {
  const callback = { element: h("input", { id: "f-callBackUrl", type: "text", inputmode: "url",
    placeholder: "https://your-app.example/callback" }) };
  $("#callback-field").append(fieldRow("callBackUrl", callback,
    { help: "Where imagegate POSTs the task's record when it ends (optional)" }));
  $("#signin-form").addEventListener("submit", signIn);
  $("#task-form").addEventListener("submit", submit);
  $("#sign-out").addEventListener("click", () => signOut());
  $("#history-more").addEventListener("click", () => history.more());
  $("#task-form").addEventListener("input", requestChanged);
  $("#task-form").addEventListener("change", requestChanged);
  state.code = codeButtons(request);
  window.addEventListener("hashchange", route);
  try {
    await loadModels();
  } catch (error) {
    replace($("#fields"), h("p", { class: "error-text" }, `The catalog did not load: ${error.message}`));
  }
  await route();
  document.body.dataset.ready = "true"; // for scripts that drive the page (tests, screenshots)
}

start();
