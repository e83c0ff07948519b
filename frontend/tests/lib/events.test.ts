import { afterEach, describe, expect, it, vi } from "vitest";

import { getBuyAgain, getRecentlyViewed } from "@/lib/api/customers";
import { postEvents } from "@/lib/api/events";
import { isEventId, newEventId } from "@/lib/events";

const CUSTOMER = "b".repeat(64);
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function answer(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    headers: { "Content-Type": "application/json" },
  });
}

/** A random source that is not random: every byte `value`, and no randomUUID. */
function filledWith(value: number): Pick<Crypto, "getRandomValues"> {
  return {
    getRandomValues<T extends ArrayBufferView>(array: T): T {
      new Uint8Array(array.buffer).fill(value);
      return array;
    },
  } as Pick<Crypto, "getRandomValues">;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

describe("isEventId", () => {
  it("accepts what the API accepts as an event_id", () => {
    expect(isEventId("0f8fad5b-d9cb-469f-a165-70867728950e")).toBe(true);
    expect(isEventId("shop:42_a.b")).toBe(true);
    expect(isEventId("x".repeat(64))).toBe(true);
  });

  it("refuses anything else", () => {
    for (const bad of ["", "x".repeat(65), "has space", "semi;colon", "é", 42, null, undefined]) {
      expect(isEventId(bad), String(bad)).toBe(false);
    }
  });
});

describe("newEventId", () => {
  it("uses crypto.randomUUID where there is one", () => {
    const id = newEventId();
    expect(id).toMatch(UUID4);
    expect(newEventId()).not.toBe(id);
  });

  it("makes a version 4 UUID from random bytes outside a secure context", () => {
    expect(newEventId(filledWith(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(newEventId(filledWith(0))).toBe("00000000-0000-4000-8000-000000000000");
    const real = { getRandomValues: crypto.getRandomValues.bind(crypto) };
    expect(newEventId(real)).toMatch(UUID4);
    expect(isEventId(newEventId(real))).toBe(true);
  });
});

describe("event and row requests", () => {
  it("posts a batch of events with the shopper's token or the server's service key", async () => {
    vi.stubEnv("LOOKBOOK_API_URL", "http://api.test");
    const fetch = vi.fn().mockImplementation(async () => answer({ accepted: 1, duplicates: 0 }));
    vi.stubGlobal("fetch", fetch);
    const event = {
      event_id: "e-1",
      type: "purchase" as const,
      customer_id: CUSTOMER,
      article_id: "0108775015",
    };

    expect(await postEvents({ token: "tok" }, [event])).toEqual({ accepted: 1, duplicates: 0 });
    expect(await postEvents({ apiKey: "svc" }, [event])).toEqual({ accepted: 1, duplicates: 0 });

    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("http://api.test/events");
    expect(init.method).toBe("POST");
    expect(JSON.parse(String(init.body))).toEqual({ events: [event] });
    expect(init.headers).toMatchObject({ Authorization: "Bearer tok" });
    expect(init.headers).not.toHaveProperty("X-API-Key");
    const [, byKey] = fetch.mock.calls[1] as [string, RequestInit];
    expect(byKey.headers).toMatchObject({ "X-API-Key": "svc" });
    expect(byKey.headers).not.toHaveProperty("Authorization");
  });

  it("asks for the session's own rows", async () => {
    vi.stubEnv("LOOKBOOK_API_URL", "http://api.test");
    const fetch = vi.fn().mockImplementation(async () => answer({ items: [] }));
    vi.stubGlobal("fetch", fetch);
    const session = { customerId: CUSTOMER, token: "tok" };

    await getRecentlyViewed(session, { limit: 4 });
    await getBuyAgain(session, { limit: 4 });

    const urls = fetch.mock.calls.map(([url]) => url);
    expect(urls).toEqual([
      `http://api.test/customers/${CUSTOMER}/recently-viewed?limit=4`,
      `http://api.test/customers/${CUSTOMER}/buy-again?limit=4`,
    ]);
    for (const [, init] of fetch.mock.calls as [string, RequestInit][]) {
      expect((init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    }
  });
});
