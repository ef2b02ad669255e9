// Calls to the HTTP API of the same origin, and what its refusals mean to a person: each
// problem type in the reader's language, with times in their time zone and what to do next.

import { token } from "./auth.js";
import { has, t, when } from "./i18n.js";

/** The API refused the request (problem+json). */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.kind = (body?.type ?? "").split("/").pop() || (status >= 500 ? "internal" : "bad-request");
    this.retryAfter = retryAfter;
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {
  kind = "network";
}

export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  const bearer = token();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* a proxy's HTML error page */ }
  if (!response.ok) {
    const seconds = Number(response.headers.get("retry-after"));
    throw new ApiError(response.status, parsed, Number.isFinite(seconds) && seconds > 0 ? seconds : null);
  }
  return parsed;
}

/** Whether trying the same request again may work. */
export const retryable = (error) =>
  error instanceof NetworkError ||
  (error instanceof ApiError && (error.status >= 500 || ["conflict", "timeout", "request-timeout", "request-in-progress"].includes(error.kind)));

/** The sentence a person reads for `error`. `context` picks a more precise sentence where one
 * exists (`problem.<kind>.<context>`), with `values` for its placeholders. */
export function describe(error, context, values = {}) {
  if (!(error instanceof ApiError) && !(error instanceof NetworkError)) {
    // A bug, not a refusal: the details are for the developer console.
    console.warn(error);
    return t("problem.internal");
  }
  const kind = error.kind;
  const time = error.retryAfter ? when(new Date(Date.now() + error.retryAfter * 1000).toISOString()) : "";
  const specific = context && `problem.${kind}.${context}`;
  if (specific && has(specific)) return t(specific, { ...values, time });
  if (has(`problem.${kind}`)) return t(`problem.${kind}`, { ...values, time });
  return t(error.status >= 500 ? "problem.internal" : "problem.bad-request");
}
