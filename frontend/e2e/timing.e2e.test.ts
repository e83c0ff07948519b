/**
 * First load of Home and Explore in a fresh browser (empty HTTP cache): time to first byte, to
 * the first product image, and to the largest contentful paint. Printed and saved to
 * screenshots/first-load.json for the report.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DESKTOP, launch, newContext, SCREENSHOTS } from "./browser";

const RUNS = 5;
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Load {
  ttfb: number;
  firstImage: number;
  lcp: number;
  domContentLoaded: number;
}

async function firstLoad(path: string): Promise<Load> {
  const ctx = await newContext(browser, DESKTOP);
  const page = await ctx.newPage();
  await page.goto(path, { waitUntil: "load" });
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLImageElement>("img[data-product-image]")].some(
      (i) => i.complete && i.naturalWidth > 0,
    ),
  );
  const load = await page.evaluate(async () => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const images = performance
      .getEntriesByType("resource")
      .filter((e) => e.name.includes("/api/images/"))
      .map((e) => (e as PerformanceResourceTiming).responseEnd);
    const lcp = await new Promise<number>((done) => {
      new PerformanceObserver((list) => {
        const entries = list.getEntries();
        done(entries[entries.length - 1]?.startTime ?? Number.NaN);
      }).observe({ type: "largest-contentful-paint", buffered: true });
      setTimeout(() => done(Number.NaN), 1000);
    });
    return {
      ttfb: nav.responseStart,
      firstImage: Math.min(...images),
      lcp,
      domContentLoaded: nav.domContentLoadedEventEnd,
    };
  });
  await ctx.close();
  return load;
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

describe("first load", () => {
  it("measures Home and Explore", async () => {
    const report: Record<string, Record<string, number>> = {};
    for (const [name, path] of [
      ["home", "/"],
      ["explore", "/explore"],
    ] as const) {
      const runs: Load[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await firstLoad(path));
      const first = runs[0] as Load;
      report[name] = {
        first_run_ttfb_ms: Math.round(first.ttfb),
        first_run_first_image_ms: Math.round(first.firstImage),
        median_ttfb_ms: Math.round(median(runs.map((r) => r.ttfb))),
        median_first_image_ms: Math.round(median(runs.map((r) => r.firstImage))),
        median_lcp_ms: Math.round(median(runs.map((r) => r.lcp))),
        median_dom_content_loaded_ms: Math.round(median(runs.map((r) => r.domContentLoaded))),
      };
      expect(Number.isFinite(first.firstImage)).toBe(true);
    }
    console.table(report);
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, "first-load.json"), `${JSON.stringify(report, null, 2)}\n`);
  });
});
