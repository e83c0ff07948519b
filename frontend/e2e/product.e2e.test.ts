/** A product page: colourways, similar items, complete the look, and a 404. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { imagesSettled, launch, newContext } from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe("product page", () => {
  it("shows the colourways, similar items and complete the look", async () => {
    const page = await (await newContext(browser)).newPage();
    // A product that comes in several colours, found the way a shopper would: on Explore.
    await page.goto("/explore");
    const card = page.locator("[data-testid=product-card]", { hasText: /more colou?rs?/ }).first();
    const id = await card.getAttribute("data-article-id");
    await card.getByRole("link").click();
    await page.waitForURL((u) => u.pathname === `/product/${id}`);

    const name = await page.getByTestId("product-name").innerText();
    expect(name.length).toBeGreaterThan(0);
    const ways = page.getByTestId("colourway");
    expect(await ways.count()).toBeGreaterThanOrEqual(2);
    const current = page.locator("[data-testid=colourway][aria-current=true]");
    expect(await current.count()).toBe(1);

    const similar = page.locator("[data-testid=section-similar] [data-testid=product-card]");
    expect(await similar.count()).toBeGreaterThan(0);
    expect(
      await similar.evaluateAll((cs) =>
        cs.every((c) => c.getAttribute("data-article-id") !== null),
      ),
    ).toBe(true);
    const group = await page
      .getByTestId("attributes")
      .locator("dt", { hasText: "Product group" })
      .locator("+ dd")
      .innerText();
    const look = page.locator("[data-testid=section-complete-the-look] [data-testid=product-card]");
    expect(await look.count()).toBeGreaterThan(0);
    const lookGroups = await look.evaluateAll((cs) => cs.map((c) => c.getAttribute("data-group")));
    expect(lookGroups.every((g) => g !== group)).toBe(true);
    await imagesSettled(page);

    // Another colourway is one click away and is the same product in another colour.
    const other = page.locator("[data-testid=colourway]:not([aria-current])").first();
    const otherColour = await other.getAttribute("data-colour");
    await other.click();
    await page.waitForURL((u) => !u.pathname.endsWith(`/${id}`));
    expect(await page.getByTestId("product-name").innerText()).toBeTruthy();
    expect(
      await page.locator("[data-testid=colourway][aria-current=true]").getAttribute("data-colour"),
    ).toBe(otherColour);
    await page.context().close();
  });

  it("answers an unknown article with the 404 page", async () => {
    const page = await (await newContext(browser)).newPage();
    const res = await page.goto("/product/0000000001");
    expect(res?.status()).toBe(404);
    // The 404 document is rendered from its payload once the scripts run.
    await page.getByTestId("not-found").waitFor();
    await page.context().close();
  });
});
