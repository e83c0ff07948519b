/** Debian's Chromium through playwright-core, with axe-core, screenshots and waiting helpers. */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { inject } from "vitest";

import { FRONTEND } from "./harness";

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };
export const SCREENSHOTS = join(FRONTEND, "screenshots");

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export function webUrl(path = "/"): string {
  return `${inject("webUrl")}${path}`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

export async function newContext(browser: Browser, viewport = DESKTOP): Promise<BrowserContext> {
  return browser.newContext({ viewport, reducedMotion: "reduce", baseURL: inject("webUrl") });
}

/** Opens a page and waits until its scripts have loaded, so client controls respond. */
export async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.waitForLoadState("networkidle");
}

/** Until every product image on the page has loaded (or failed): screenshots show photos. */
export async function imagesSettled(page: Page): Promise<void> {
  // Lazy images below the fold would never load in a screenshot's headless viewport.
  await page.evaluate(() => {
    for (const img of document.querySelectorAll<HTMLImageElement>("img[loading=lazy]")) {
      img.loading = "eager";
    }
  });
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLImageElement>("img[data-product-image]")].every(
        (img) => img.complete,
      ),
    undefined,
    { timeout: 20_000 },
  );
}

/** Until a filter navigation has finished: the URL matches and the results are not busy. */
export async function settled(page: Page, urlPart?: string | RegExp): Promise<void> {
  if (urlPart)
    await page.waitForURL(typeof urlPart === "string" ? (u) => u.href.includes(urlPart) : urlPart);
  await page.waitForFunction(() => !document.querySelector("[aria-busy='true']"));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** A full-page screenshot; `fullPage: false` for overlays, which cover only the viewport. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage });
}

/**
 * Signs in as a sample customer (the first, unless `nth` picks another) through the Profile
 * page; answers the customer id.
 */
export async function signIn(page: Page, nth = 0): Promise<string> {
  await page.goto("/profile");
  const sample = page.getByTestId("sample-customer").nth(nth);
  const id = await sample.getAttribute("data-customer-id");
  await sample.click();
  await page.waitForURL((u) => u.pathname === "/");
  if (!id) throw new Error("the sample customer has no id");
  return id;
}

/** The staff sign-in with an API key; lands on `next` (a staff page). */
export async function staffSignIn(page: Page, key: string, next = "/merchandising"): Promise<void> {
  await page.goto(`/staff/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Your API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname === next.split("?")[0]);
}

export async function cardIds(page: Page, scope = "body"): Promise<string[]> {
  return page
    .locator(`${scope} [data-testid=product-card]`)
    .evaluateAll((cards) => cards.map((c) => c.getAttribute("data-article-id") ?? ""));
}
