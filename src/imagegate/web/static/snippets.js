// The request on screen as code to paste elsewhere: a curl command, and Python with
// imagegate's own client (imagegate.client, docs/client.md). Neither holds the key: both read
// it from IMAGEGATE_API_KEY, so a snippet pasted into a chat or a ticket leaks nothing.

// A string inside single quotes for a POSIX shell: ' becomes '\''.
const shellQuote = (text) => `'${text.replaceAll("'", "'\\''")}'`;

export function asCurl(origin, endpoint, body) {
  return [
    `curl -sS ${shellQuote(origin + endpoint)}`,
    `  -H "Authorization: Bearer $IMAGEGATE_API_KEY"`,
    "  -H 'Content-Type: application/json'",
    `  -d ${shellQuote(JSON.stringify(body, null, 2))}`,
  ].join(" \\\n");
}

// A JSON value as a Python literal. A JSON string is a valid Python string literal as it is
// (its escapes are Python's too); only true, false and null are spelled otherwise.
function pyLiteral(value, indent = "") {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value !== "object") return JSON.stringify(value);
  const inner = `${indent}    `;
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return `[\n${value.map((item) => inner + pyLiteral(item, inner)).join(",\n")},\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (!entries.length) return "{}";
  return `{\n${entries.map(([name, item]) => `${inner}${JSON.stringify(name)}: ${pyLiteral(item, inner)}`)
    .join(",\n")},\n${indent}}`;
}

export function asPython(origin, body) {
  const callback = body.callBackUrl ? `, callback_url=${JSON.stringify(body.callBackUrl)}` : "";
  return [
    "from imagegate.client import Client",
    "",
    "# The key is read from IMAGEGATE_API_KEY.",
    `with Client(base_url=${JSON.stringify(origin)}) as client:`,
    `    task = client.run(${JSON.stringify(body.model)}, ${pyLiteral(body.input, "    ")}${callback})`,
    "    print(task.state)",
    "    for url in task.result_urls:",
    "        print(url)",
    "",
  ].join("\n");
}
