// Beside Generate: the price of the request on screen (what createTask will debit) and the
// same request as code, a curl command or Python, copied to the clipboard and shown below.

import { $, h, replace } from "./dom.js";
import { credits, priceMilli } from "./pricing.js";
import { asCurl, asPython } from "./snippets.js";

// `balance`: the account's credits as the API last said them, or null.
export function showPrice(model, input, balance) {
  const host = $("#price");
  const milli = priceMilli(model, input);
  host.dataset.milli = milli ?? "";
  if (milli === null) {
    replace(host, h("span", { class: "muted" }, "Price: — (the API will say what is wrong with this input)"));
    return;
  }
  const short = balance !== null && milli > Math.round(balance * 1000);
  replace(host, "Price: ", h("strong", {}, `${credits(milli)} credits`),
    short ? h("span", { class: "error-text" }, ` — more than the ${balance} credits left`) : null);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API outside a secure context (plain HTTP to another host): the old way.
    const area = h("textarea", { class: "offscreen", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  }
}

// `request()`: the request on screen, {endpoint, body}. Answers `refresh()`, which keeps the
// code shown below in step with the form.
export function codeButtons(request) {
  const kinds = [
    ["#copy-curl", "curl command", ({ endpoint, body }) => asCurl(location.origin, endpoint, body)],
    ["#copy-python", "Python", ({ body }) => asPython(location.origin, body)],
  ];
  let shown = null; // the kind of code shown below, once a button was pressed
  const render = () => {
    const text = shown[2](request());
    $("#request-code").textContent = text;
    return text;
  };
  for (const kind of kinds) {
    const [button, what] = kind;
    $(button).addEventListener("click", async () => {
      shown = kind;
      const text = render();
      $("#as-code").hidden = false;
      const copied = await copy(text);
      $("#copied").textContent = copied
        ? `Copied the ${what} (it reads the key from IMAGEGATE_API_KEY).`
        : `Copy the ${what} from below.`;
    });
  }
  return { refresh: () => { if (shown) render(); } };
}
