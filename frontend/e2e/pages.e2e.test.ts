/**
 * Every page at 390 and 1440 px: no serious or critical axe-core violation, and a full-page
 * screenshot into screenshots/ for a person to look at.
 */
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  DESKTOP,
  imagesSettled,
  launch,
  newContext,
  PHONE,
  screenshot,
  seriousViolations,
  signIn,
} from "./browser";

let browser: Browser;
let productId = "";

beforeAll(async () => {
  browser = await launch();
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto("/explore");
  productId =
    (await page
      .locator("[data-testid=product-card]", { hasText: /more colou?rs?/ })
      .first()
      .getAttribute("data-article-id")) ?? "";
  await ctx.close();
});
afterAll(async () => {
  await browser?.close();
});

const visitorPages = (): [string, string][] => [
  ["home", "/"],
  ["explore", "/explore"],
  ["explore-filtered", "/explore?colour=Black&sort=price_asc"],
  ["product", `/product/${productId}`],
  ["search", "/search?q=striped+summer+dress"],
  ["profile-signed-out", "/profile"],
  ["not-found", "/no-such-page"],
];
const customerPages: [string, string][] = [
  ["home-signed-in", "/"],
  ["profile-signed-in", "/profile"],
];

async function check(ctx: BrowserContext, name: string, path: string): Promise<void> {
  const page = await ctx.newPage();
  await page.goto(path);
  await imagesSettled(page);
  const violations = await seriousViolations(page);
  await screenshot(page, name);
  await page.close();
  expect(violations, `${name} at ${path}`).toEqual([]);
}

describe.each([
  ["phone", PHONE],
  ["desktop", DESKTOP],
])("every page on a %s", (_label, viewport) => {
  it("has no serious accessibility violation, as a visitor", async () => {
    const ctx = await newContext(browser, viewport);
    for (const [name, path] of visitorPages()) await check(ctx, name, path);
    await ctx.close();
  });

  it("has no serious accessibility violation, signed in", async () => {
    const ctx = await newContext(browser, viewport);
    await signIn(await ctx.newPage());
    for (const [name, path] of customerPages) await check(ctx, name, path);
    await ctx.close();
  });

  it("the filter drawer is accessible", async () => {
    if (viewport !== PHONE) return;
    const ctx = await newContext(browser, viewport);
    const page = await ctx.newPage();
    await page.goto("/explore");
    await page.getByTestId("filters-button").click();
    await page.getByRole("dialog", { name: "Filters" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "explore-drawer", false);
    await ctx.close();
  });
});
