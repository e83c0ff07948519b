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

describe("shop", () => {
  it("posts the session's customer's purchase and confirms it", async () => {
    const input = { type: "purchase" as const, articleId: ARTICLE, eventId: "e-1" };
    const state = await shop(IDLE, input);
    expect(state).toMatchObject({ status: "done", type: "purchase" });
    expect(sentEvents()).toEqual([
      { event_id: "e-1", type: "purchase", article_id: ARTICLE, customer_id: CUSTOMER },
    ]);
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
