/**
 * The API answers every error as RFC 9457 problem+json. `toApiError` turns any failed response
 * (problem+json, other JSON, HTML from a proxy, or nothing) into one `ApiError`, so pages branch
 * on `kind` and `status` instead of parsing bodies.
 */

export interface FieldError {
  field: string;
  message: string;
}

/** The last segment of the problem `type` URI: "not-found", "invalid-input", "unreachable" … */
export type ProblemKind = string;

export class ApiError extends Error {
  readonly status: number;
  readonly kind: ProblemKind;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];

  constructor(init: {
    status: number;
    kind: ProblemKind;
    title: string;
    detail: string;
    errors?: FieldError[];
  }) {
    super(`${init.status} ${init.title}: ${init.detail}`);
    this.name = "ApiError";
    this.status = init.status;
    this.kind = init.kind;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  /** The token is missing, expired or belongs to someone else: the user must sign in again. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** Worth retrying later: the API is down, starting, or timed out. */
  get isTransient(): boolean {
    return this.status === 502 || this.status === 503 || this.status === 504;
  }
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  413: "Payload too large",
  422: "Invalid input",
  500: "Internal error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

const STATUS_KINDS: Record<number, ProblemKind> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  413: "payload-too-large",
  422: "invalid-input",
};

/** "https://lookbook.dev/problems/not-found" → "not-found"; "about:blank" → fallback. */
export function problemKind(type: unknown, status: number): ProblemKind {
  if (typeof type === "string" && type !== "" && type !== "about:blank") {
    const last = type.replace(/\/+$/, "").split("/").pop();
    if (last) return last;
  }
  return STATUS_KINDS[status] ?? (status >= 500 ? "server-error" : "http-error");
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** FastAPI's own `loc` ("query", "min_price") → "min_price". */
function locField(loc: unknown): string {
  if (!Array.isArray(loc)) return "request";
  const parts = loc.filter((p) => !["query", "path", "body"].includes(String(p))).map(String);
  return parts.join(".") || "request";
}

function fieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: unknown) => {
    if (typeof e !== "object" || e === null) return [];
    const rec = e as Record<string, unknown>;
    const message = str(rec.message) ?? str(rec.msg);
    if (!message) return [];
    return [{ field: str(rec.field) ?? locField(rec.loc), message }];
  });
}

/** The error a failed response stands for; reads the body once. */
export async function toApiError(res: Response): Promise<ApiError> {
  const fallbackTitle = STATUS_TITLES[res.status] ?? (res.statusText || "HTTP error");
  const text = await res.text().catch(() => "");
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    body = undefined; // not JSON (an HTML error page from a proxy, say): keep the status only
  }
  const title = str(body?.title) ?? fallbackTitle;
  const detail = str(body?.detail) ?? title;
  return new ApiError({
    status: res.status,
    kind: problemKind(body?.type, res.status),
    title,
    detail,
    errors: fieldErrors(body?.errors ?? body?.detail),
  });
}

/** A network failure (connection refused, DNS, abort) as an `ApiError` with status 503. */
export function unreachable(url: string, cause: unknown): ApiError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ApiError({
    status: 503,
    kind: "unreachable",
    title: "API unreachable",
    detail: `could not reach the Lookbook API at ${url}: ${why}`,
  });
}

/** A message fit to show a shopper. */
export function userMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.kind === "unreachable" || err.isTransient) {
      return "The shop is taking a break. Please try again in a moment.";
    }
    if (err.isAuth) return "Your session has ended. Please sign in again.";
    if (err.isNotFound) return "We could not find what you were looking for.";
    return err.detail;
  }
  return "Something went wrong. Please try again.";
}
