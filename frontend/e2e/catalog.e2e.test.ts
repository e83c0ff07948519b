/**
 * The merchandiser catalog (/catalog): an article marked out of stock, hidden and given a new
 * price there, each seen at once in the shop (its product page, Explore), then set back. The
 * storefront's server holds the merchandiser key; the browser never sees it.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import {
  cardIds,
  DESKTOP,
  imagesSettled,
  launch,
  newContext,
  open,
  PHONE,
  screenshot,
  seriousViolations,
  signIn,
  staffSignIn,
} from "./browser";

interface Picked {
  id: string;
  name: string;
  price: number;
}

let browser: Browser;
let picked: Picked;

/** A change straight through the API, as a price feed would send it. */
async function patch(id: string, body: object): Promise<void> {
  const res = await fetch(`${inject("apiUrl")}/admin/articles/${id}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", "X-API-Key": inject("merchandiserKey") },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  browser = await launch();
  // The first article on Explore's first page: the list it must leave.
  const res = await fetch(`${inject("apiUrl")}/articles?limit=1`);
  const { items } = (await res.json()) as {
    items: { article_id: string; prod_name: string; price: number }[];
  };
  const first = items[0];
  if (!first) throw new Error("the e2e catalog is empty");
  picked = { id: first.article_id, name: first.prod_name, price: first.price };
});
afterAll(async () => {
  // Whatever a failed test left behind, the other files see the catalog as it was.
  if (picked) await patch(picked.id, { price: picked.price, in_stock: true, hidden: false });
  await browser?.close();
});

function row(page: Page): Locator {
  return page.locator(`[data-testid=catalog-article][data-article-id="${picked.id}"]`);
}

/** Presses one of the row's buttons and waits for the API's answer on the page. */
async function press(page: Page, button: string, confirmed: RegExp): Promise<void> {
  await row(page).getByTestId(button).click();
  await row(page).getByTestId("edit-status").getByText(confirmed).waitFor();
}

async function exploreIds(page: Page): Promise<string[]> {
  await open(page, "/explore");
  return cardIds(page, "[data-testid=results]");
}

describe("catalog", () => {
  it("out of stock: the product page says so, Explore leaves it out; back in stock", async () => {
    const page = await (await newContext(browser)).newPage();
    await staffSignIn(page, inject("merchandiserKey"), "/catalog");
    await signIn(page);
    expect(await exploreIds(page)).toContain(picked.id);

    await open(page, `/catalog?q=${picked.id}`);
    expect(await row(page).getByTestId("stock-flag").innerText()).toBe("In stock");
    await press(page, "edit-in_stock", /Marked out of stock/);
    expect(await row(page).getByTestId("stock-flag").innerText()).toBe("Out of stock");
    expect(await page.content()).not.toContain(inject("merchandiserKey"));

    await row(page).getByTestId("shop-link").click();
    await page.waitForURL(`**/product/${picked.id}`);
    expect(await page.getByTestId("availability").innerText()).toMatch(/out of stock/i);
    expect(await page.getByTestId("add-to-bag").isDisabled()).toBe(true);
    expect(await page.getByTestId("buy-now").isDisabled()).toBe(true);

    expect(await exploreIds(page)).not.toContain(picked.id);
    // The merchandiser still finds it by its words, marked.
    await open(page, "/catalog");
    await page.getByTestId("catalog-search").fill(picked.name);
    await page.getByTestId("catalog-search").press("Enter");
    await page.waitForURL((u) => u.searchParams.get("q") === picked.name);
    await row(page).waitFor();
    expect(await row(page).getAttribute("data-in-stock")).toBe("false");

    await press(page, "edit-in_stock", /Back in stock/);
    expect(await exploreIds(page)).toContain(picked.id);
    await open(page, `/product/${picked.id}`);
    expect(await page.getByTestId("availability").count()).toBe(0);
    expect(await page.getByTestId("add-to-bag").isDisabled()).toBe(false);
    await page.context().close();
  });

  it("hidden: the page opens and says not available; shown again", async () => {
    const page = await (await newContext(browser)).newPage();
    await staffSignIn(page, inject("merchandiserKey"), "/catalog");
    await open(page, `/catalog?q=${picked.id}`);
    await press(page, "edit-hidden", /^Hidden/);
    expect(await row(page).getByTestId("visibility-flag").innerText()).toBe("Hidden");
    await open(page, `/product/${picked.id}`);
    expect(await page.getByTestId("availability").innerText()).toMatch(/not available/i);
    expect(await exploreIds(page)).not.toContain(picked.id);

    await open(page, `/catalog?q=${picked.id}`);
    await press(page, "edit-hidden", /Shown in the shop again/);
    expect(await exploreIds(page)).toContain(picked.id);
    await page.context().close();
  });

  it("a new price shows on the product page; a bad one is refused at the field", async () => {
    const page = await (await newContext(browser)).newPage();
    await staffSignIn(page, inject("merchandiserKey"), "/catalog");
    await open(page, `/catalog?q=${picked.id}`);
    const input = row(page).getByTestId("price-input");

    await input.fill("-5");
    await row(page).getByTestId("edit-price").click();
    const error = row(page).getByTestId("price-error");
    await error.waitFor();
    // The API's own 422 message, next to the field it names.
    expect(await error.innerText()).toMatch(/greater than or equal to 0/);
    expect(await input.getAttribute("aria-invalid")).toBe("true");

    const higher = (Math.round(picked.price * 100) + 1000) / 100;
    for (const price of [higher, picked.price]) {
      await open(page, `/catalog?q=${picked.id}`);
      await row(page).getByTestId("price-input").fill(price.toFixed(2));
      await press(page, "edit-price", /Price set to/);
      expect(await row(page).getByTestId("price-error").count()).toBe(0);
      await open(page, `/product/${picked.id}`);
      const shown = page.locator("[data-testid=product-name] + div [data-price]");
      expect(await shown.getAttribute("data-price")).toBe(price.toFixed(2));
    }
    await page.context().close();
  });

  it.each([
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ])("looks right on a %s, with an article out of stock", async (_label, viewport) => {
    await patch(picked.id, { in_stock: false });
    const ctx = await newContext(browser, viewport);
    const page = await ctx.newPage();
    try {
      await staffSignIn(page, inject("merchandiserKey"), "/catalog");
      await open(page, `/catalog?q=${encodeURIComponent(picked.name)}`);
      await imagesSettled(page);
      expect(await seriousViolations(page), "catalog").toEqual([]);
      await screenshot(page, "catalog");

      await open(page, `/product/${picked.id}`);
      await imagesSettled(page);
      expect(await seriousViolations(page), "product").toEqual([]);
      await screenshot(page, "product-out-of-stock");
    } finally {
      await ctx.close();
      await patch(picked.id, { in_stock: true });
    }
  });
});
