// The imagegate API as the pages call it: one fetch wrapper, the key kept in localStorage
// (never in a URL), and API refusals as ApiError carrying the field the message names.

// The task states after which nothing changes (TaskState's terminal set on the server).
export const TERMINAL = new Set(["success", "fail"]);

export const keyStore = (name) => ({
  get: () => localStorage.getItem(name) || "",
  set: (value) => localStorage.setItem(name, value),
  clear: () => localStorage.removeItem(name),
});

// The API states which field it refuses as "field: problem" (errors.ValidationFailed), with
// "input." before a model's fields and "[i]" for an item of a list; the form knows the bare name.
export function fieldOf(message) {
  const match = /^([A-Za-z_][\w.\-]*(?:\[\d+\])?): /.exec(message || "");
  if (!match) return null;
  return match[1].replace(/^input\./, "").replace(/\[\d+\]$/, "");
}

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
    this.field = fieldOf(message);
  }
}

// `body`: an object sent as JSON, or a FormData sent as multipart. Answers `data`.
export async function call(key, path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload });
  } catch (error) {
    throw new ApiError(0, `The server did not answer: ${error.message}`, 0);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError(response.status, `HTTP ${response.status} without a JSON answer`, response.status);
  }
  // Every surface answers {code, msg, data}; HTTP 200 may still carry a refusal (the operator's
  // Kie-style "business errors as HTTP 200" switch), so the code decides.
  if (answer.code !== 200) {
    throw new ApiError(answer.code, answer.msg || answer.message || "refused", response.status);
  }
  return answer.data;
}

export const query = (params) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  return search.toString();
};
