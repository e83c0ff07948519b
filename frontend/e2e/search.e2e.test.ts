/** Merchandiser search: score bars per result, and search by photo. */
import { readdirSync } from "node:fs";
import { join } from "node:path";

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { launch, newContext, open, settled } from "./browser";
import { E2E_DATA } from "./harness";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** A catalog photo from the tiny world: searching by it must find its own article. */
function catalogPhoto(): { path: string; articleId: string } {
  const root = join(E2E_DATA, "images");
  const dir = readdirSync(root).sort()[0] ?? "";
  const file = readdirSync(join(root, dir)).sort()[0] ?? "";
  return { path: join(root, dir, file), articleId: file.replace(/\.jpg$/, "") };
}

describe("merchandiser search", () => {
  it("shows cf, text and image bars and the final score for each result", async () => {
    const page = await (await newContext(browser)).newPage();
    await open(page, "/search");
    await page.getByTestId("search-input").fill("black jersey top");
    await page.getByTestId("search-input").press("Enter");
    await settled(page, "q=black+jersey+top");
    const rows = page.getByTestId("search-result");
    expect(await rows.count()).toBeGreaterThan(0);
    const bars = await rows.evaluateAll((els) =>
      els.map((el) => ({
        parts: ["cf", "text", "image"].map(
          (k) => el.querySelector(`[data-testid=part-${k}]`)?.textContent ?? null,
        ),
        score: Number(
          el.querySelector("[data-testid=final-score] dd span:last-child")?.textContent,
        ),
      })),
    );
    for (const b of bars) {
      expect(b.parts.every((p) => p !== null)).toBe(true);
      expect(Number.isFinite(b.score)).toBe(true);
    }
    // The text part is always present for a text query, and the list is ranked by score.
    expect(bars.every((b) => !(b.parts[1] ?? "").includes("absent"))).toBe(true);
    const scores = bars.map((b) => b.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(await page.getByTestId("weights").innerText()).toMatch(/text/);
    await page.context().close();
  });

  it("finds look-alikes of an uploaded photo", async () => {
    const page = await (await newContext(browser)).newPage();
    await open(page, "/search");
    const photo = catalogPhoto();
    await page.getByTestId("photo-input").setInputFiles(photo.path);
    await page.getByTestId("photo-submit").click();
    await page.getByTestId("photo-summary").waitFor({ timeout: 30_000 });
    const results = page.locator("[data-testid=photo-search] [data-testid=search-result]");
    expect(await results.count()).toBeGreaterThan(0);
    const top = await results.evaluateAll((els) =>
      els.slice(0, 3).map((e) => e.getAttribute("data-article-id")),
    );
    expect(top).toContain(photo.articleId);
    const imagePart = await results.first().getByTestId("part-image").innerText();
    expect(imagePart).not.toMatch(/absent/);
    await page.context().close();
  });
});
