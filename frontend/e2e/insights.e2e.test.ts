/**
 * The insights dashboard (/insights, staff only): after a search list was clicked through the
 * API, the dashboard shows the search surface with its lists and click-through, the query among
 * the top searches, and the charts; seen at both widths.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import {
  DESKTOP,
  launch,
  newContext,
  PHONE,
  screenshot,
  seriousViolations,
  staffSignIn,
} from "./browser";

const QUERY = "striped jersey top";
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
  // One search list, opened at position 2 by a shopper (through the shop's server).
  const list = (await (
    await fetch(`${inject("apiUrl")}/search?q=${encodeURIComponent(QUERY)}&limit=12`)
  ).json()) as { rec_id: string; items: { article_id: string }[] };
  const samples = (await (await fetch(`${inject("apiUrl")}/customers/samples`)).json()) as {
    items: { customer_id: string }[];
  };
  const customer = samples.items[0]?.customer_id;
  const article = list.items[1]?.article_id;
  if (!customer || !article) throw new Error("no sample customer or search result");
  const res = await fetch(`${inject("apiUrl")}/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": inject("serviceKey") },
    body: JSON.stringify({
      events: [
        {
          event_id: `insights-${Date.now()}`,
          type: "view",
          customer_id: customer,
          article_id: article,
          rec_id: list.rec_id,
          position: 2,
        },
      ],
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
});
afterAll(async () => {
  await browser?.close();
});

describe("insights", () => {
  it("is for staff only", async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto("/insights");
    await page.waitForURL((u) => u.pathname === "/staff/sign-in");
    await page.context().close();
  });

  it.each([
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ])("shows the search surface, its query and the charts on a %s", async (_label, viewport) => {
    const ctx = await newContext(browser, viewport);
    const page = await ctx.newPage();
    try {
      await staffSignIn(page, inject("merchandiserKey"), "/insights");
      // The figures come from the daily roll-up; the list above may be newer than it.
      await page.getByTestId("insights-refresh").click();
      await page.waitForURL((u) => u.search === "?fresh=1");
      expect(await page.getByTestId("insights-as-of").innerText()).toMatch(/as of \d{4}-/);
      const search = page.locator("[data-testid=insights-surface][data-surface=search]");
      await search.waitFor();
      expect(Number(await search.getAttribute("data-lists"))).toBeGreaterThan(0);
      expect(await page.getByTestId("top-queries").innerText()).toContain(QUERY);
      expect(await page.getByTestId("chart-by-day").count()).toBe(2);
      expect(await page.getByTestId("chart-by-position").count()).toBe(1);
      expect(await seriousViolations(page), "insights").toEqual([]);
      await screenshot(page, "insights");
    } finally {
      await ctx.close();
    }
  });
});
