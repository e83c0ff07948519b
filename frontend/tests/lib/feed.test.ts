import { afterEach, describe, expect, it, vi } from "vitest";

import { getFeed } from "@/lib/api/catalog";

const CUSTOMER = "a".repeat(64);

function answer(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json" },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

describe("getFeed", () => {
  it("asks for the session's own feed with its bearer token", async () => {
    vi.stubEnv("LOOKBOOK_API_URL", "http://api.test");
    const fetch = vi.fn().mockResolvedValue(answer({ items: [] }));
    vi.stubGlobal("fetch", fetch);

    await getFeed({ customerId: CUSTOMER, token: "tok-123" }, { limit: 8 });

    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(`http://api.test/recommendations/${CUSTOMER}?limit=8`);
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer tok-123");
  });

  it("turns a refused token into an auth ApiError", async () => {
    const problem = { type: "about:blank", title: "Forbidden", status: 403, detail: "not yours" };
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(answer(problem, 403)));

    await expect(getFeed({ customerId: CUSTOMER, token: "other" })).rejects.toMatchObject({
      status: 403,
      isAuth: true,
    });
  });
});
