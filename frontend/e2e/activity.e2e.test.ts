/**
 * Shopper events from the product page (one view per opening, add to bag, buy now) and what
 * Home makes of them on the next load: the feed, "Recently viewed" and "Buy it again".
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import {
  cardIds,
  DESKTOP,
  imagesSettled,
  launch,
  newContext,
  PHONE,
  screenshot,
  seriousViolations,
  signIn,
} from "./browser";

/** The second sample customer: other files sign in as the first and compare its feed. */
const SHOPPER = 1;
/** How many cards Home asks for per personal row. */
const ROW = 4;
const FOR_YOU = "[data-testid=section-for-you]";

let browser: Browser;
let bought = "";
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** A token of the customer's own, straight from the API's demo sign-in. */
async function apiToken(customerId: string): Promise<string> {
  const signIn = await fetch(`${inject("apiUrl")}/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ customer_id: customerId }),
  });
  return ((await signIn.json()) as { access_token: string }).access_token;
}

/** A row as the API itself answers it, asked with a token of the customer's own. */
async function apiRow(customerId: string, row: "buy-again" | "recently-viewed"): Promise<string[]> {
  const res = await fetch(`${inject("apiUrl")}/customers/${customerId}/${row}?limit=${ROW}`, {
    headers: { Authorization: `Bearer ${await apiToken(customerId)}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { items: { article_id: string }[] };
  return body.items.map((i) => i.article_id);
}

/** The feed's attributed lists so far (`GET /admin/insights`, merchandiser key). */
async function feedInsights(): Promise<{
  clicked: number;
  carted: number;
  converted: number;
  first: number;
}> {
  const res = await fetch(`${inject("apiUrl")}/admin/insights?surface=feed&fresh=true`, {
    headers: { "X-API-Key": inject("merchandiserKey") },
  });
  expect(res.status).toBe(200);
  type Rate = { k: number };
  const body = (await res.json()) as {
    surfaces: { click_through: Rate; add_to_cart: Rate; conversion: Rate }[];
    by_position: { click_through: Rate }[];
  };
  const feed = body.surfaces[0];
  return {
    clicked: feed?.click_through.k ?? 0,
    carted: feed?.add_to_cart.k ?? 0,
    converted: feed?.conversion.k ?? 0,
    first: body.by_position[0]?.click_through.k ?? 0,
  };
}

/** Counts the page's server action calls (POSTs with Next's action header) from now on. */
function actionCounter(page: Page): () => number {
  let n = 0;
  page.on("request", (req) => {
    if (req.method() === "POST" && req.headers()["next-action"]) n += 1;
  });
  return () => n;
}

describe("product page events", () => {
  it("offers a visitor a way to sign in and logs nothing", async () => {
    const page = await (await newContext(browser)).newPage();
    const actions = actionCounter(page);
    await page.goto("/");
    const id = (await cardIds(page, "[data-testid=section-trending]"))[0];
    await page.goto(`/product/${id}`);
    await page.waitForLoadState("networkidle");
    const panel = page.getByTestId("product-actions");
    expect(await panel.getByRole("link", { name: "Sign in to shop" }).isVisible()).toBe(true);
    expect(await page.getByTestId("add-to-bag").count()).toBe(0);
    expect(await page.getByTestId("buy-now").count()).toBe(0);
    expect(actions()).toBe(0);
    await page.context().close();
  });

  it("a purchase leaves the feed and the product shows up in Recently viewed", async () => {
    const page = await (await newContext(browser)).newPage();
    const customer = await signIn(page, SHOPPER);
    await page.locator(FOR_YOU).waitFor();
    const before = await cardIds(page, FOR_YOU);
    expect(before.length).toBeGreaterThan(0);
    bought = before[0] ?? "";
    const feedBefore = await feedInsights();

    const actions = actionCounter(page);
    await page.locator(`${FOR_YOU} [data-article-id="${bought}"]`).getByRole("link").click();
    await page.waitForURL((u) => u.pathname === `/product/${bought}`);
    // One view for this opening, and no more while the page stays open.
    await expect.poll(actions, { timeout: 10_000 }).toBe(1);
    await page.waitForTimeout(500);
    expect(actions()).toBe(1);

    const status = page.getByTestId("shop-status");
    await page.getByTestId("add-to-bag").click();
    await status.getByText("Added to your bag").waitFor();
    await page.getByTestId("buy-now").click();
    await status.getByText("Bought").waitFor();
    // Each action re-renders the page; the view is still the one of this opening.
    await page.waitForTimeout(500);
    expect(actions()).toBe(3);
    // The storefront's server bought with its service key, which never reaches the page: the
    // shopper's own token may not post a purchase.
    expect(await page.content()).not.toContain(inject("serviceKey"));
    const direct = await fetch(`${inject("apiUrl")}/events`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${await apiToken(customer)}`,
      },
      body: JSON.stringify({
        events: [
          {
            event_id: `direct-${Date.now()}`,
            type: "purchase",
            customer_id: customer,
            article_id: bought,
          },
        ],
      }),
    });
    expect(direct.status).toBe(403);

    // The view, the add to bag and the purchase each carried For you's rec_id and position 1:
    // the feed's insights count one more clicked, carted and converted list, at position 1.
    const link = new URL(page.url());
    expect(link.searchParams.get("rec")?.startsWith("feed.")).toBe(true);
    expect(link.searchParams.get("pos")).toBe("1");
    const feedAfter = await feedInsights();
    expect(feedAfter.clicked).toBe(feedBefore.clicked + 1);
    expect(feedAfter.carted).toBe(feedBefore.carted + 1);
    expect(feedAfter.converted).toBe(feedBefore.converted + 1);
    expect(feedAfter.first).toBe(feedBefore.first + 1);

    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link").first().click();
    await page.waitForURL((u) => u.pathname === "/");
    await page.locator(FOR_YOU).waitFor();
    for (const load of ["navigation", "reload"]) {
      if (load === "reload") await page.reload();
      const after = await cardIds(page, FOR_YOU);
      expect(after.length, load).toBeGreaterThan(0);
      // Bought now: left out of For you, or kept as a likely rebuy that says so.
      const reasons = await page.locator(`${FOR_YOU} [data-testid=card-reason]`).allInnerTexts();
      expect(reasons.length, load).toBe(after.length);
      if (after.includes(bought)) {
        expect(reasons[after.indexOf(bought)], load).toMatch(/^You bought it/);
      }
      // Newest first: the product just opened, put in the bag and bought leads the row.
      const recent = await cardIds(page, "[data-testid=section-recently-viewed]");
      expect(recent[0], load).toBe(bought);
      expect(recent, load).toEqual(await apiRow(customer, "recently-viewed"));
      // Whether the purchase belongs in Buy it again is the API's call: Home shows its answer.
      const again = await apiRow(customer, "buy-again");
      expect(await cardIds(page, "[data-testid=section-buy-again]"), load).toEqual(again);
      expect(await page.getByTestId("section-buy-again").count(), load).toBe(again.length ? 1 : 0);
    }
    await page.context().close();
  });

  it.each([
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ])("Home's rows and the product's buttons look right on a %s", async (_label, viewport) => {
    expect(bought, "the purchase test ran first").not.toBe("");
    const ctx = await newContext(browser, viewport);
    const page = await ctx.newPage();
    await signIn(page, SHOPPER);
    await page.getByTestId("section-recently-viewed").waitFor();
    await imagesSettled(page);
    expect(await seriousViolations(page), "home").toEqual([]);
    await screenshot(page, "home-activity");

    await page.goto(`/product/${bought}`);
    await page.getByTestId("add-to-bag").click();
    await page.getByTestId("shop-status").getByText("Added to your bag").waitFor();
    await imagesSettled(page);
    expect(await seriousViolations(page), "product").toEqual([]);
    await screenshot(page, "product-signed-in");
    await ctx.close();
  });
});
