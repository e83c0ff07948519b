import { ApiError, toApiError, unreachable } from "@/lib/api/errors";
import { buildQuery, type Query } from "@/lib/api/query";

export { ApiError } from "@/lib/api/errors";

const DEFAULT_API_URL = "http://127.0.0.1:8000";
const TIMEOUT_MS = 15_000;

/** The API's base URL, read at request time so one build serves any deployment. */
export function apiBase(): string {
  return (process.env.LOOKBOOK_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, "");
}

export interface ApiRequest {
  query?: Query;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** Multipart body (the browser-style upload of a photo). */
  form?: FormData;
  /** Bearer token of the signed-in customer. */
  token?: string;
  /** A staff key (`X-API-Key`): read from the server's environment, never from the browser. */
  apiKey?: string;
}

/**
 * The one way the storefront talks to the API: typed JSON in, `ApiError` out on any failure
 * (problem+json, a non-JSON error page, or no answer at all). Server-side only; the browser
 * reaches the API through the `/api/*` proxy.
 */
/** The visitor id the proxy put on the page's request (none outside a request). */
async function visitorId(): Promise<string | null> {
  try {
    const { headers } = await import("next/headers");
    return (await headers()).get("x-visitor-id");
  } catch {
    return null;
  }
}

export async function apiFetch<T>(path: string, req: ApiRequest = {}): Promise<T> {
  const url = `${apiBase()}${path}${buildQuery(req.query)}`;
  const headers: Record<string, string> = { Accept: "application/json" };
  const visitor = await visitorId();
  if (visitor) headers["X-Visitor-Id"] = visitor;
  if (req.token) headers.Authorization = `Bearer ${req.token}`;
  if (req.apiKey) headers["X-API-Key"] = req.apiKey;
  let body: BodyInit | undefined;
  if (req.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(req.json);
  } else if (req.form) {
    body = req.form;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method ?? (body ? "POST" : "GET"),
      headers,
      body,
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (cause) {
    throw unreachable(apiBase(), cause);
  }
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T; // done, nothing to say (a DELETE)
  try {
    return (await res.json()) as T;
  } catch (cause) {
    throw new ApiError({
      status: 502,
      kind: "bad-response",
      title: "Bad response",
      detail: `the API answered ${path} with a body that is not JSON: ${String(cause)}`,
    });
  }
}
