import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ApiError, apiFetch } from "@/lib/api/client";
import { problemKind, toApiError, userMessage } from "@/lib/api/errors";

const PROBLEM = "application/problem+json";

function problem(status: number, body: unknown, type = PROBLEM): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": type },
  });
}

describe("toApiError", () => {
  it("maps a problem+json body", async () => {
    const err = await toApiError(
      problem(422, {
        type: "https://lookbook.dev/problems/invalid-input",
        title: "Invalid input",
        status: 422,
        detail: "min_price: 50 is above max_price 10",
        instance: "/articles",
        errors: [{ field: "min_price", message: "50 is above max_price 10" }],
      }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 422,
      kind: "invalid-input",
      title: "Invalid input",
      detail: "min_price: 50 is above max_price 10",
      errors: [{ field: "min_price", message: "50 is above max_price 10" }],
    });
    expect(userMessage(err)).toBe("min_price: 50 is above max_price 10");
  });

  it("reads FastAPI's own validation shape", async () => {
    const err = await toApiError(
      problem(
        422,
        { detail: [{ loc: ["query", "limit"], msg: "must be ≤ 100", type: "x" }] },
        "application/json",
      ),
    );
    expect(err.kind).toBe("invalid-input");
    expect(err.errors).toEqual([{ field: "limit", message: "must be ≤ 100" }]);
  });

  it("keeps the status of a non-JSON error page", async () => {
    const err = await toApiError(problem(502, "<html>Bad Gateway</html>", "text/html"));
    expect(err).toMatchObject({ status: 502, kind: "server-error", title: "Bad gateway" });
    expect(err.isTransient).toBe(true);
    expect(userMessage(err)).toMatch(/try again/);
  });

  it("names auth and not-found errors", async () => {
    const gone = await toApiError(problem(404, ""));
    expect(gone).toMatchObject({
      status: 404,
      kind: "not-found",
      isNotFound: true,
      detail: "Not found",
    });
    const auth = await toApiError(
      problem(401, {
        type: "https://lookbook.dev/problems/unauthorized",
        title: "Unauthorized",
        detail: "expired",
      }),
    );
    expect(auth.isAuth).toBe(true);
    expect(userMessage(auth)).toMatch(/sign in again/);
  });

  it("takes the kind from the last segment of the type", () => {
    expect(problemKind("https://lookbook.dev/problems/index-not-ready", 503)).toBe(
      "index-not-ready",
    );
    expect(problemKind("about:blank", 404)).toBe("not-found");
    expect(problemKind(undefined, 500)).toBe("server-error");
    expect(problemKind(42, 418)).toBe("http-error");
  });
});

describe("apiFetch over HTTP", () => {
  let server: Server;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
      if (req.url?.startsWith("/articles/0000000000")) {
        res.writeHead(404, { "Content-Type": PROBLEM });
        res.end(
          JSON.stringify({
            type: "https://lookbook.dev/problems/not-found",
            title: "Not found",
            status: 404,
            detail: "article 0000000000 not found",
          }),
        );
      } else if (req.url === "/broken") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end("{not json");
      } else {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ ok: true }));
      }
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    process.env.LOOKBOOK_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it("sends the query and the token and returns the JSON", async () => {
    const body = await apiFetch<{ ok: boolean }>("/articles", {
      query: { colour: ["Red", "Blue"] },
      token: "t0k",
    });
    expect(body).toEqual({ ok: true });
    expect(seen.at(-1)).toBe("GET /articles?colour=Red&colour=Blue Bearer t0k");
  });

  it("throws the problem as an ApiError", async () => {
    const err = await apiFetch("/articles/0000000000").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 404,
      kind: "not-found",
      detail: "article 0000000000 not found",
    });
  });

  it("reports a body that is not JSON", async () => {
    await expect(apiFetch("/broken")).rejects.toMatchObject({ status: 502, kind: "bad-response" });
  });

  it("reports an API that does not answer as unreachable", async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const before = process.env.LOOKBOOK_API_URL;
    process.env.LOOKBOOK_API_URL = `http://127.0.0.1:${port}`;
    try {
      await expect(apiFetch("/ready")).rejects.toMatchObject({ status: 503, kind: "unreachable" });
    } finally {
      process.env.LOOKBOOK_API_URL = before;
    }
  });
});
