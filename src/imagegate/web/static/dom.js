// A tiny element builder: h("p", {class: "help"}, "text", child). Text is always set as text,
// never as HTML, so nothing the API or a user sends can inject markup.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);

export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

export const when = (ms) => (ms ? new Date(ms).toLocaleString() : "—");

// Prose in a table cell (a message, a URL): on a phone, where cells keep to one line and the
// table scrolls sideways, it alone wraps, at spaces, in a column of a readable width.
export const prose = (text) => h("span", { class: "prose" }, text);

// A state as a coloured pill (style.css colours each state by its class).
export const badge = (state) => h("span", { class: `badge ${state}` }, state);

export const row = (cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)));

export function table(headers, rows) {
  return h("div", { class: "scroll" },
    h("table", {},
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", {}, name)))),
      h("tbody", {}, rows.length
        ? rows.map(row)
        : h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, "nothing yet")))));
}
