// The playground: sign in with an API key, pick a model, fill the form its schema makes,
// submit, follow the task to its results; the account's history, credits and task pages.
// Views are chosen by the URL's fragment (#history, #task/ID); the key is never in the URL.

import { ApiError, call, keyStore, query } from "./api.js";
import { $, badge, h, replace, table, when } from "./dom.js";
import { buildForm, clearErrors, fieldRow, showError } from "./form.js";
import { follow, resultsView, statusView, taskPage } from "./task.js";

const key = keyStore("imagegate.apiKey");
const state = { models: [], model: null, form: null, cursor: null };
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

async function refreshCredits() {
  try {
    const credits = await call(key.get(), "/api/v1/chat/credit");
    $("#credits").textContent = `${credits} credits`;
  } catch (error) {
    $("#credits").textContent = "";
    if (error.code === 401) signOut(error.message);
  }
}

function signOut(message = "") {
  key.clear();
  $("#credits").textContent = "";
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
    $("#credits").textContent = `${credits} credits`;
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
  const body = { model: state.model.model, input: state.form.values() };
  const callback = $("#f-callBackUrl").value.trim();
  if (callback) body.callBackUrl = callback;
  const button = $("#submit");
  button.disabled = true;
  const output = $("#output");
  try {
    const created = await call(key.get(), state.model.endpoint, { method: "POST", body });
    const imageFields = state.model.imageFields;
    const status = h("div");
    replace(output, h("p", {}, "Task ", h("a", { href: `#task/${created.taskId}` }, created.taskId)), status);
    const done = await follow(key.get(), created.taskId, (data) => replace(status, statusView(data)));
    if (done.state === "success") output.append(resultsView(done, imageFields));
    else if (done.failMsg) report(form, new ApiError(done.failCode, done.failMsg, 200), formError);
    refreshCredits();
  } catch (error) {
    report(form, error, formError);
  } finally {
    button.disabled = false;
  }
}

async function loadHistory(more = false) {
  const rows = $("#history-rows");
  if (!more) state.cursor = null;
  const page = await call(key.get(), `/api/v1/jobs/list?${query({ limit: 20, cursor: state.cursor })}`);
  const built = table(["created", "model", "state", "credits", "task"], page.tasks.map((task) => [
    when(task.createTime), task.model, badge(task.state),
    task.consumeCredits, h("a", { href: `#task/${task.taskId}` }, task.taskId.slice(0, 12) + "…")]));
  if (more) rows.append(built);
  else replace(rows, built);
  state.cursor = page.nextCursor;
  $("#history-more").hidden = !page.nextCursor;
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
      await loadHistory();
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
  $("#history-more").addEventListener("click", () => loadHistory(true));
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
