// A model's input form, generated from its JSON Schema (GET /api/v1/models): enums as
// selects, bounded numbers as a slider beside a number field, booleans as checkboxes, image
// URL fields as drop zones; required fields marked, defaults filled, descriptions as help.
// The form does not validate: the API is the one judge, and its message is shown beside the
// field it names (showError).

import { h } from "./dom.js";
import { imageInput } from "./images.js";

// A slider only where its range is small enough to hit a value with it.
const MAX_SLIDER_STEPS = 1000;

const types = (schema) => [].concat(schema.type || []);

function choices(schema) {
  // num_images is a string enum that also takes integers: offer each value once, as a string.
  const strings = schema.enum.filter((value) => typeof value === "string");
  return strings.length ? strings : schema.enum.map(String);
}

function enumControl(name, schema, required) {
  const select = h("select", { id: `f-${name}`, name });
  if (!required && !("default" in schema)) select.append(h("option", { value: "" }, "—"));
  for (const value of choices(schema)) {
    select.append(h("option", { value, selected: String(schema.default) === value }, value));
  }
  return { element: select, control: select, value: () => select.value || undefined,
    set: (v) => { select.value = v ?? ""; } };
}

function booleanControl(name, schema) {
  if ("default" in schema) {
    const box = h("input", { id: `f-${name}`, name, type: "checkbox", checked: schema.default === true });
    return { element: box, control: box, value: () => box.checked, set: (v) => { box.checked = !!v; } };
  }
  const select = h("select", { id: `f-${name}`, name },
    h("option", { value: "" }, "—"), h("option", { value: "true" }, "true"),
    h("option", { value: "false" }, "false"));
  return { element: select, control: select,
    value: () => (select.value === "" ? undefined : select.value === "true"),
    set: (v) => { select.value = v === undefined ? "" : String(v); } };
}

function numberControl(name, schema) {
  const integer = types(schema).includes("integer");
  const step = schema.multipleOf ?? (integer ? 1 : "any");
  const limits = { min: schema.minimum, max: schema.maximum, step };
  const number = h("input", { id: `f-${name}`, name, type: "number", ...limits,
    value: schema.default ?? "" });
  const hasRange = schema.minimum !== undefined && schema.maximum !== undefined;
  const steps = hasRange ? (schema.maximum - schema.minimum) / (step === "any" ? 1 : step) : Infinity;
  let element = number;
  if (steps <= MAX_SLIDER_STEPS) {
    const slider = h("input", { type: "range", ...limits, value: schema.default ?? schema.minimum,
      "aria-label": `${name} slider` });
    slider.addEventListener("input", () => { number.value = slider.value; });
    number.addEventListener("input", () => { slider.value = number.value; });
    element = h("div", { class: "range" }, slider, number);
  }
  return { element, control: number,
    value: () => (number.value === "" ? undefined : Number(number.value)),
    set: (v) => { number.value = v ?? ""; } };
}

function textControl(name, schema) {
  const long = (schema.maxLength ?? 0) > 300 || /prompt/i.test(name);
  const attrs = { id: `f-${name}`, name, maxlength: schema.maxLength };
  const control = long ? h("textarea", { ...attrs, rows: 3 }) : h("input", { ...attrs, type: "text" });
  control.value = schema.default ?? "";
  return { element: control, control, value: () => control.value || undefined,
    set: (v) => { control.value = v ?? ""; } };
}

function jsonControl(name, schema) {
  // Any other shape (none in the catalog today): JSON as text, sent as parsed.
  const control = h("textarea", { id: `f-${name}`, name, rows: 2 });
  control.value = "default" in schema ? JSON.stringify(schema.default) : "";
  return { element: control, control, set: (v) => { control.value = v === undefined ? "" : JSON.stringify(v); },
    value() {
      if (!control.value.trim()) return undefined;
      try { return JSON.parse(control.value); } catch { return control.value; }
    } };
}

function controlFor(name, schema, required, model, upload, onError) {
  if (model.imageFields.includes(name)) {
    const list = types(schema).includes("array");
    return imageInput(name, { list, maxItems: schema.maxItems ?? 1, upload, onError });
  }
  if (schema.enum) return enumControl(name, schema, required);
  const kinds = types(schema);
  if (kinds.includes("boolean")) return booleanControl(name, schema);
  if (kinds.includes("integer") || kinds.includes("number")) return numberControl(name, schema);
  if (kinds.includes("string")) return textControl(name, schema);
  return jsonControl(name, schema);
}

function limitsText(schema) {
  const parts = [];
  if (schema.minimum !== undefined && schema.maximum !== undefined) parts.push(`${schema.minimum}–${schema.maximum}`);
  else if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  else if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.maxLength) parts.push(`≤ ${schema.maxLength} characters`);
  if (schema.maxItems) parts.push(`≤ ${schema.maxItems} images`);
  if ("default" in schema) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(" · ");
}

// One field's row: label, control, help, and the place for the API's message about it.
export function fieldRow(name, control, { required = false, help = "", limits = "" } = {}) {
  return h("div", { class: "field", dataset: { field: name } },
    h("label", { for: `f-${name}` }, name, required ? h("span", { class: "required", title: "required" }, " *") : null),
    control.element,
    help || limits ? h("p", { class: "help" }, help, help && limits ? " — " : "", limits) : null,
    h("p", { class: "error", role: "alert", hidden: true }));
}

export function buildForm(model, host, { upload, onError }) {
  const schema = model.schema;
  const required = new Set(schema.required || []);
  const controls = new Map();
  host.replaceChildren();
  for (const [name, property] of Object.entries(schema.properties)) {
    const control = controlFor(name, property, required.has(name), model, upload, onError);
    controls.set(name, control);
    host.append(fieldRow(name, control, { required: required.has(name),
      help: property.description || "", limits: limitsText(property) }));
  }
  return {
    values() {
      const input = {};
      for (const [name, control] of controls) {
        const value = control.value();
        if (value !== undefined && !(Array.isArray(value) && value.length === 0)) input[name] = value;
      }
      return input;
    },
    set(input) {
      for (const [name, value] of Object.entries(input)) controls.get(name)?.set(value);
    },
    controls,
  };
}

// Show `message` beside the field named `field` inside `root`; false when no such field.
export function showError(root, field, message) {
  const row = field && root.querySelector(`.field[data-field="${CSS.escape(field)}"]`);
  if (!row) return false;
  const error = row.querySelector(".error");
  error.textContent = message;
  error.hidden = false;
  row.classList.add("invalid");
  row.scrollIntoView({ block: "nearest" });
  return true;
}

export function clearErrors(root) {
  for (const row of root.querySelectorAll(".field.invalid")) row.classList.remove("invalid");
  for (const error of root.querySelectorAll(".field .error")) {
    error.hidden = true;
    error.textContent = "";
  }
}
