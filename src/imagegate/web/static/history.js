// The account's tasks, newest first (GET /api/v1/jobs/list), a page at a time: "More" asks
// for the page after the last one shown (its nextCursor) and adds its rows below; each row
// shows a thumbnail of the task's first result.

import { call, query } from "./api.js";
import { badge, h, replace, row, table, when } from "./dom.js";
import { resultUrls } from "./task.js";

const PAGE_SIZE = 20;
const HEADERS = ["", "created", "model", "state", "credits", "task"];

function cells(task) {
  const href = `#task/${task.taskId}`;
  const [first] = resultUrls(task);
  // The thumbnail links to the task too, for a pointer; the id's link is the one a keyboard
  // or a screen reader meets.
  const thumb = first ? h("a", { href, tabindex: -1, "aria-hidden": "true", class: "thumb-link" },
    h("img", { src: first, alt: "", class: "thumb", loading: "lazy" })) : "";
  return [
    thumb,
    when(task.createTime), task.model, badge(task.state), task.consumeCredits,
    h("a", { href }, `${task.taskId.slice(0, 12)}…`),
  ];
}

// `host` receives the table; `more` is the "More" button, shown while a next page exists.
export function historyList(key, host, more) {
  let cursor = null;
  let generation = 0; // a reset while a page is on its way makes that page stale
  let loading = false;

  async function load(next) {
    const mine = ++generation;
    loading = true;
    more.disabled = true;
    try {
      const page = await call(key(), `/api/v1/jobs/list?${query({ limit: PAGE_SIZE, cursor: next ? cursor : null })}`);
      if (mine !== generation) return;
      if (next) host.querySelector("tbody").append(...page.tasks.map((task) => row(cells(task))));
      else replace(host, table(HEADERS, page.tasks.map(cells)));
      cursor = page.nextCursor;
      more.hidden = !cursor;
    } finally {
      if (mine === generation) {
        loading = false;
        more.disabled = false;
      }
    }
  }

  return {
    // The first page, afresh.
    reload: () => { cursor = null; more.hidden = true; return load(false); },
    // The next page, once; nothing when there is none or one is on its way.
    more: () => (cursor && !loading ? load(true) : Promise.resolve()),
  };
}
