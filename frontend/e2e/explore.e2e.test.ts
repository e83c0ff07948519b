/** Explore: a colour filter, counts, a price range and a sort, all kept in the URL. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { imagesSettled, launch, newContext, open, PHONE, settled } from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function total(page: Page): Promise<number> {
  return Number.parseInt(await page.getByTestId("total").innerText(), 10);
}

async function facetCounts(page: Page, facet: string): Promise<Record<string, number>> {
  return page
    .locator("aside")
    .getByTestId(`facet-${facet}`)
    .evaluate((el) => {
      const out: Record<string, number> = {};
      for (const row of el.querySelectorAll("label")) {
        const count = row.querySelector("[data-testid=facet-count]");
        const name = row.querySelector("span")?.textContent ?? "";
        if (count) out[name] = Number(count.textContent);
      }
      return out;
    });
}

async function cards(page: Page): Promise<{ colour: string; price: number }[]> {
  return page.locator("[data-testid=results] [data-testid=product-card]").evaluateAll((els) =>
    els.map((c) => ({
      colour: c.getAttribute("data-colour") ?? "",
      price: Number(c.getAttribute("data-price")),
    })),
  );
}

describe("explore", () => {
  it("filters by colour, price range and sort, and a reload keeps them", async () => {
    const page = await (await newContext(browser)).newPage();
    await open(page, "/explore");
    const all = await total(page);
    expect(all).toBeGreaterThan(0);
    const groupsBefore = await facetCounts(page, "index_group");

    // The most common colour that does not cover the whole catalog.
    const swatches = page.locator("aside [data-testid=colour-swatch]");
    const counted = await swatches.evaluateAll((els) =>
      els.map((e) => ({
        colour: e.getAttribute("data-colour") ?? "",
        count: Number(e.getAttribute("data-count")),
      })),
    );
    const pick = counted
      .filter((o) => o.count > 1 && o.count < all)
      .sort((a, b) => b.count - a.count)[0];
    if (!pick) throw new Error("no colour to filter by");
    await page.locator(`aside [data-testid=colour-swatch][data-colour="${pick.colour}"]`).click();
    await settled(page, `colour=${encodeURIComponent(pick.colour).replace(/%20/g, "+")}`);

    expect(await total(page)).toBe(pick.count);
    const coloured = await cards(page);
    expect(coloured.length).toBeGreaterThan(0);
    expect(coloured.every((c) => c.colour === pick.colour)).toBe(true);
    const groupsAfter = await facetCounts(page, "index_group");
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    expect(sum(groupsAfter)).toBe(pick.count);
    expect(sum(groupsAfter)).toBeLessThan(sum(groupsBefore));
    expect(
      await page
        .locator(`aside [data-testid=colour-swatch][data-colour="${pick.colour}"]`)
        .getAttribute("aria-pressed"),
    ).toBe("true");

    // A price range inside the colour's prices.
    const prices = coloured.map((c) => c.price).sort((a, b) => a - b);
    // Both bounds inside the colour's price range (a bound at the range's end means "none").
    const lo = Math.floor(prices[0] ?? 0) + 1;
    const hi = Math.max(lo + 1, Math.ceil(prices[Math.floor(prices.length / 2)] ?? 100));
    await page.locator("aside [data-testid=price-min]").fill(String(lo));
    await page.locator("aside [data-testid=price-min]").press("Enter");
    await settled(page, `min_price=${lo}`);
    await page.locator("aside [data-testid=price-max]").fill(String(hi));
    await page.locator("aside [data-testid=price-max]").press("Enter");
    await settled(page, `max_price=${hi}`);
    const ranged = await cards(page);
    expect(ranged.length).toBeGreaterThan(0);
    expect(ranged.every((c) => c.colour === pick.colour && c.price >= lo && c.price <= hi)).toBe(
      true,
    );

    // Sort by price, low to high.
    await page.getByTestId("sort").click();
    await page.getByRole("option", { name: "Price: low to high" }).click();
    await settled(page, "sort=price_asc");
    const check = async () => {
      const sorted = await cards(page);
      expect(sorted.length).toBeGreaterThan(0);
      expect(sorted.every((c) => c.colour === pick.colour && c.price >= lo && c.price <= hi)).toBe(
        true,
      );
      const ps = sorted.map((c) => c.price);
      expect(ps).toEqual([...ps].sort((a, b) => a - b));
    };
    await check();

    const url = page.url();
    await page.reload();
    expect(page.url()).toBe(url);
    await check();
    expect(await page.getByTestId("sort").innerText()).toMatch(/Price: low to high/);
    expect(await page.locator("aside [data-testid=price-min]").inputValue()).toBe(String(lo));
    await imagesSettled(page);
    await page.context().close();
  });

  it("works from the keyboard alone", async () => {
    const page = await (await newContext(browser)).newPage();
    await open(page, "/explore");
    // The skip link is the first stop and leads past the header.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    // Tab on to the first colour swatch (bounded: a missing swatch fails, never hangs).
    let onSwatch = false;
    for (let i = 0; i < 120 && !onSwatch; i++) {
      await page.keyboard.press("Tab");
      onSwatch = await page.evaluate(
        () => document.activeElement?.getAttribute("data-testid") === "colour-swatch",
      );
    }
    expect(onSwatch).toBe(true);
    const colour = await page.evaluate(() => document.activeElement?.getAttribute("data-colour"));
    await page.keyboard.press("Enter");
    await settled(page, "colour=");
    expect((await cards(page)).every((c) => c.colour === colour)).toBe(true);
    // The sort list opens and picks with the keyboard too.
    await page.getByTestId("sort").focus();
    await page.keyboard.press("Enter");
    await page.getByRole("listbox").waitFor();
    const focusedOption = () =>
      page.evaluate(() =>
        document.activeElement?.getAttribute("role") === "option"
          ? document.activeElement.textContent
          : null,
      );
    await page.waitForFunction(() => document.activeElement?.getAttribute("role") === "option");
    const first = await focusedOption();
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction((before) => document.activeElement?.textContent !== before, first);
    await page.keyboard.press("Enter");
    await settled(page, "sort=");
    await page.context().close();
  });

  it("on a phone the filters open in a drawer", async () => {
    const page = await (await newContext(browser, PHONE)).newPage();
    await open(page, "/explore");
    expect(await page.locator("aside").isVisible()).toBe(false);
    await page.getByTestId("filters-button").click();
    const drawer = page.getByRole("dialog", { name: "Filters" });
    await drawer.waitFor();
    const swatch = drawer.getByTestId("colour-swatch").first();
    const colour = (await swatch.getAttribute("data-colour")) ?? "";
    await swatch.click();
    await settled(page, "colour=");
    expect(await drawer.getByTestId("colour-swatch").first().getAttribute("aria-pressed")).toBe(
      "true",
    );
    await drawer.getByRole("button", { name: /^Show \d+ items?$/ }).click();
    await drawer.waitFor({ state: "detached" });
    expect(await page.getByTestId("filters-button").innerText()).toMatch(/Filters \(1\)/);
    const colours = await cards(page);
    expect(colours.every((c) => c.colour === colour)).toBe(true);
    await page.context().close();
  });
});
