import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { recordView, shop, type ShopState } from "@/lib/actions/events";
import { getSession } from "@/lib/session";

vi.mock("next/cache", () => ({ revalidatePath: vi.fn() }));
vi.mock("@/lib/session", () => ({
  getSession: vi.fn(),
  isDemoSession: (s: unknown) => s !== null,
}));

const CUSTOMER = "c".repeat(64);
const ARTICLE = "0108775015";
const IDLE: ShopState = { status: "idle", type: null, message: "" };

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json" },
  });
}

let fetch: ReturnType<typeof vi.fn>;
beforeEach(() => {
  vi.stubEnv("LOOKBOOK_API_URL", "http://api.test");
  vi.stubEnv("LOOKBOOK_SERVICE_KEY", "svc-key");
  fetch = vi.fn().mockImplementation(async () => answer(200, { accepted: 1, duplicates: 0 }));
  vi.stubGlobal("fetch", fetch);
  vi.mocked(getSession).mockResolvedValue({ customerId: CUSTOMER, token: "tok" });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

function sentEvents(call = 0): unknown[] {
  const [, init] = fetch.mock.calls[call] as [string, RequestInit];
  return (JSON.parse(String(init.body)) as { events: unknown[] }).events;
}

function request(call: number): { url: string; method: string; headers: Record<string, string> } {
  const [url, init] = fetch.mock.calls[call] as [string, RequestInit];
  return { url, method: init.method ?? "GET", headers: init.headers as Record<string, string> };
}

describe("shop", () => {
  it("checks the session with the API, then posts the purchase with the service key", async () => {
    const input = { type: "purchase" as const, articleId: ARTICLE, eventId: "e-1" };
    const state = await shop(IDLE, input);
    expect(state).toMatchObject({ status: "done", type: "purchase" });
    const check = request(0);
    expect([check.method, check.url]).toEqual([
      "GET",
      `http://api.test/customers/${CUSTOMER}/preferences`,
    ]);
    expect(check.headers.Authorization).toBe("Bearer tok");
    const post = request(1);
    expect([post.method, post.url]).toEqual(["POST", "http://api.test/events"]);
    expect(post.headers["X-API-Key"]).toBe("svc-key");
    expect(post.headers).not.toHaveProperty("Authorization");
    expect(sentEvents(1)).toEqual([
      { event_id: "e-1", type: "purchase", article_id: ARTICLE, customer_id: CUSTOMER },
    ]);
  });

  it("posts no purchase for a session the API does not take as that customer's", async () => {
    fetch.mockResolvedValueOnce(answer(403, { title: "Forbidden", status: 403, detail: "x" }));
    const input = { type: "purchase" as const, articleId: ARTICLE, eventId: "e-5" };
    expect(await shop(IDLE, input)).toMatchObject({ status: "error", message: /sign in again/ });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(request(0).method).toBe("GET");
  });

  it("posts no purchase without a service key, and says which one to set", async () => {
    vi.stubEnv("LOOKBOOK_SERVICE_KEY", "");
    const input = { type: "purchase" as const, articleId: ARTICLE, eventId: "e-6" };
    const state = await shop(IDLE, input);
    expect(state).toMatchObject({ status: "error", message: /LOOKBOOK_SERVICE_KEY/ });
    expect(fetch).not.toHaveBeenCalled();
  });

  it("posts an add-to-cart with the shopper's own token", async () => {
    const input = { type: "add_to_cart" as const, articleId: ARTICLE, eventId: "e-7" };
    expect(await shop(IDLE, input)).toMatchObject({ status: "done", type: "add_to_cart" });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(request(0).headers.Authorization).toBe("Bearer tok");
    expect(request(0).headers).not.toHaveProperty("X-API-Key");
  });

  it("sends the same event once more when the API was briefly away", async () => {
    fetch.mockResolvedValueOnce(answer(503, { title: "Service unavailable", status: 503 }));
    const input = { type: "add_to_cart" as const, articleId: ARTICLE, eventId: "e-2" };
    expect(await shop(IDLE, input)).toMatchObject({ status: "done", type: "add_to_cart" });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(sentEvents(1)).toEqual(sentEvents(0));
  });

  it("refuses a signed-out shopper and bad input without calling the API", async () => {
    vi.mocked(getSession).mockResolvedValueOnce(null);
    const ok = { type: "purchase" as const, articleId: ARTICLE, eventId: "e-3" };
    expect(await shop(IDLE, ok)).toMatchObject({ status: "error", message: /sign in/ });
    const bad = [
      { ...ok, type: "refund" },
      { ...ok, articleId: "../admin" },
      { ...ok, eventId: "no spaces" },
    ];
    for (const input of bad) {
      expect(await shop(IDLE, input as never)).toMatchObject({ status: "error" });
    }
    expect(fetch).not.toHaveBeenCalled();
  });

  it("says what the API refused", async () => {
    fetch.mockResolvedValue(answer(401, { title: "Unauthorized", status: 401, detail: "expired" }));
    const input = { type: "purchase" as const, articleId: ARTICLE, eventId: "e-4" };
    expect(await shop(IDLE, input)).toMatchObject({ status: "error", message: /sign in again/ });
  });
});

describe("recordView", () => {
  it("posts a view for a signed-in shopper", async () => {
    await recordView(ARTICLE, "v-1");
    expect(sentEvents()).toEqual([
      { event_id: "v-1", type: "view", article_id: ARTICLE, customer_id: CUSTOMER },
    ]);
  });

  it("is silent when signed out, on bad input and when the API fails", async () => {
    vi.mocked(getSession).mockResolvedValueOnce(null);
    await recordView(ARTICLE, "v-2");
    await recordView("not-an-id", "v-3");
    expect(fetch).not.toHaveBeenCalled();
    fetch.mockResolvedValue(answer(500, { title: "Internal error", status: 500 }));
    await expect(recordView(ARTICLE, "v-4")).resolves.toBeUndefined();
  });
});
