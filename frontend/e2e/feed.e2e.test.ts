/** Home for a visitor and for a signed-in customer, and preferences that change the feed. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { cardIds, launch, newContext, signIn } from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe("home", () => {
  it("shows trending items and a sign-in prompt to a visitor", async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto("/");
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toMatch(
      /Wear what moves you/,
    );
    expect(await page.getByTestId("sign-in-prompt").isVisible()).toBe(true);
    const trending = await cardIds(page, "[data-testid=section-trending]");
    expect(trending.length).toBeGreaterThan(0);
    const reason = await page
      .locator("[data-testid=section-trending] [data-testid=card-reason]")
      .first()
      .innerText();
    expect(reason).toMatch(/sold in the last 7 days/);
    expect(await page.getByTestId("section-for-you").count()).toBe(0);
    await page.context().close();
  });

  it("signing in shows the For you feed with a reason per item", async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page);
    const forYou = page.getByTestId("section-for-you");
    await forYou.waitFor();
    const ids = await cardIds(page, "[data-testid=section-for-you]");
    expect(ids.length).toBeGreaterThan(0);
    const reasons = await forYou.getByTestId("card-reason").allInnerTexts();
    expect(reasons.length).toBe(ids.length);
    expect(reasons.every((r) => r.trim().length > 0)).toBe(true);
    expect(await page.getByTestId("sign-in-prompt").count()).toBe(0);
    expect(await page.getByTestId("account-link").innerText()).toMatch(/Customer/);
    await page.context().close();
  });
});

describe("preferences", () => {
  it("saving persists across a reload and changes the feed", async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page);
    const before = await cardIds(page, "[data-testid=section-for-you]");

    await page.goto("/profile");
    const form = page.getByTestId("preferences-form");
    // Favour a colour and a category the feed does not lead with, so the change is visible.
    const leading = await page
      .locator("[data-testid=profile-feed] [data-testid=product-card]")
      .evaluateAll((cards) => cards.map((c) => c.getAttribute("data-colour")));
    const colours = await form
      .getByTestId("choices-colour")
      .locator("input")
      .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    const colour = colours.find((c) => !leading.includes(c)) ?? colours[0] ?? "";
    const chip = (group: string, value: string) =>
      page.getByTestId(`choices-${group}`).locator(`input[value="${value}"]`);
    await chip("colour", colour).check();
    await chip("category", "Dress").check();
    await page
      .getByLabel("Your style in a sentence")
      .fill(`bright ${colour.toLowerCase()} summer dresses`);
    await page.getByTestId("save-preferences").click();
    await page.getByTestId("save-status").getByText("Preferences saved").waitFor();

    await page.reload();
    expect(await chip("colour", colour).isChecked()).toBe(true);
    expect(await chip("category", "Dress").isChecked()).toBe(true);
    expect(await page.getByLabel("Your style in a sentence").inputValue()).toBe(
      `bright ${colour.toLowerCase()} summer dresses`,
    );

    await page.goto("/");
    const after = await cardIds(page, "[data-testid=section-for-you]");
    expect(after.length).toBeGreaterThan(0);
    expect(after).not.toEqual(before);
    await page.context().close();
  });
});
