/**
 * The experiments page (/experiments, staff only): a merchandiser starts an experiment from the
 * form, sees it running with its results (a row per variant, the verdict line, interval bars),
 * the API serves its variants, and Stop ends it; seen at both widths.
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

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe("experiments", () => {
  it("is for staff only", async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto("/experiments");
    await page.waitForURL((u) => u.pathname === "/staff/sign-in");
    await page.context().close();
  });

  it("starts an experiment, shows its results at both widths, and stops it", async () => {
    const ctx = await newContext(browser, DESKTOP);
    const page = await ctx.newPage();
    try {
      await staffSignIn(page, inject("merchandiserKey"), "/experiments");
      await page.getByLabel("Name", { exact: true }).fill("Browse: fewer candidates");
      // Browse only (the other e2e files' lists stay the shop's own), B with 50 candidates.
      await page.getByTestId("experiment-surface-feed").uncheck();
      await page.getByTestId("experiment-surface-browse").check();
      await page.locator("#variant-1-candidates").fill("50");
      await page.getByTestId("experiment-start").click();
      await page.waitForURL((u) => u.pathname === "/experiments" && u.searchParams.has("id"));
      const id = Number(new URL(page.url()).searchParams.get("id"));
      const row = page.locator(`[data-testid=experiment-row][data-experiment-id="${id}"]`);
      expect(await row.getAttribute("data-status")).toBe("running");
      expect(await row.innerText()).toContain("B 50% (50 candidates)");

      // The API serves the variants: a visitor's browse list says which one.
      const res = await fetch(`${inject("apiUrl")}/articles?limit=3`, {
        headers: { "X-Visitor-Id": "e2e-visitor-0001" },
      });
      const body = (await res.json()) as { experiment: number; variant: string; rec_id: string };
      expect(body.experiment).toBe(id);
      expect(["A", "B"]).toContain(body.variant);
      expect(body.rec_id.split(".")[2]).toBe(`x${id}-${body.variant}`);

      // The API writes its impressions every 0.2 s: the visitor is counted within a moment.
      const mine = page.locator(
        `[data-testid=experiment-variant-row][data-variant=${body.variant}]`,
      );
      for (let tries = 0; tries < 20; tries++) {
        await page.reload();
        if (Number(await mine.getAttribute("data-visitors")) >= 1) break;
        await page.waitForTimeout(250);
      }
      expect(await page.getByTestId("experiment-variant-row").count()).toBe(2);
      expect(Number(await mine.getAttribute("data-visitors"))).toBeGreaterThanOrEqual(1);
      expect(await page.getByTestId("experiment-verdict").innerText()).toMatch(
        /^No difference detected/,
      );
      expect(await page.getByTestId("bars-conversion").count()).toBe(1);
      expect(await seriousViolations(page), "experiments").toEqual([]);
      await screenshot(page, "experiments");

      const phone = await (await newContext(browser, PHONE)).newPage();
      await staffSignIn(phone, inject("merchandiserKey"), `/experiments?id=${id}`);
      await phone.getByTestId("experiment-results").waitFor();
      expect(await seriousViolations(phone), "experiments on a phone").toEqual([]);
      await screenshot(phone, "experiments");
      await phone.context().close();

      await row.getByRole("button", { name: "Stop" }).click();
      await page.waitForFunction(
        (x) =>
          document
            .querySelector(`[data-testid=experiment-row][data-experiment-id="${x}"]`)
            ?.getAttribute("data-status") === "stopped",
        id,
      );
      const after = await fetch(`${inject("apiUrl")}/articles?limit=3`, {
        headers: { "X-Visitor-Id": "e2e-visitor-0001" },
      });
      expect(((await after.json()) as { experiment: number | null }).experiment).toBeNull();
    } finally {
      await ctx.close();
    }
  });
});
