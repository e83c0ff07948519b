/**
 * Security headers: every page answers with a nonce CSP, nosniff and a Referrer-Policy; Next.js
 * puts the nonce on each of its scripts, so the page hydrates and the browser reports no CSP
 * violation. An injected inline handler is refused and reported, so "no violation" means
 * something.
 */
import type { Browser, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DESKTOP, launch, newContext, PHONE, settled, signIn, webUrl } from "./browser";

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

interface Watched {
  page: Page;
  /** CSP messages from the browser's console (Chromium logs every refusal there). */
  console: string[];
  /** Page errors and console errors about hydration. */
  errors: string[];
  /** What `securitypolicyviolation` events reported, in this document. */
  violations: () => Promise<Violation[]>;
}

let browser: Browser;
let productPath = "";

beforeAll(async () => {
  browser = await launch();
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto("/explore");
  const id = await page.getByTestId("product-card").first().getAttribute("data-article-id");
  productPath = `/product/${id ?? ""}`;
  await ctx.close();
});
afterAll(async () => {
  await browser?.close();
});

/** A page that records CSP reports from before its first script runs. */
async function watchedPage(viewport = DESKTOP): Promise<Watched> {
  const page = await (await newContext(browser, viewport)).newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: unknown[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      w.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
  const console: string[] = [];
  const errors: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content[- ]Security[- ]Policy/i.test(text)) console.push(text);
    if (msg.type() === "error" && /hydrat/i.test(text)) errors.push(text);
  });
  page.on("pageerror", (err) => errors.push(err.message));
  const violations = () =>
    page.evaluate(() => (window as unknown as { __csp: Violation[] }).__csp ?? []);
  return { page, console, errors, violations };
}

/** The nonce of a response's CSP, after checking the policy and the other headers. */
function checkHeaders(res: Response | null, path: string): string {
  expect(res, path).not.toBeNull();
  expect(res?.status(), path).toBe(200);
  const headers = res?.headers() ?? {};
  const csp = headers["content-security-policy"] ?? "";
  const nonce = /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  expect(nonce, `${path}: a nonce in script-src of ${csp}`).toBeTruthy();
  expect(csp).toContain("'strict-dynamic'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("base-uri 'self'");
  expect(csp).toContain("connect-src 'self'");
  // `next start` is production: no eval, no inline script without the nonce.
  expect(csp).not.toContain("'unsafe-eval'");
  expect(/script-src [^;]*'unsafe-inline'/.test(csp), csp).toBe(false);
  expect(headers["x-content-type-options"], path).toBe("nosniff");
  expect(headers["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
  return nonce ?? "";
}

/** Hydrated: a click on the header's logo is a client-side navigation, not a new document. */
async function checkHydrated(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
  await page.getByRole("link", { name: "Lookbook", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/");
  await page.getByTestId("section-trending").waitFor();
  const same = await page.evaluate(
    () => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true,
  );
  expect(same, "the logo link navigated without reloading the document").toBe(true);
}

/** Paths by page name; the product is the first one Explore shows, found in beforeAll. */
const PAGES: Record<string, () => string> = {
  Home: () => "/",
  Explore: () => "/explore",
  "a product page": () => productPath,
};

describe("security headers", () => {
  it.each(Object.keys(PAGES))("%s: nonce CSP, hydrated, no violation", async (name) => {
    const path = PAGES[name]?.() ?? "";
    const w = await watchedPage();
    const res = await w.page.goto(path);
    const nonce = checkHeaders(res, `${name} (${path})`);
    await w.page.waitForLoadState("networkidle");

    // Every script the server wrote, inline or not, is Next.js's own and carries this nonce;
    // the chunks those load later are allowed by 'strict-dynamic'.
    const tags = (await res?.text())?.match(/<script\b[^>]*>/g) ?? [];
    expect(tags.length, name).toBeGreaterThan(0);
    expect(
      tags.filter((tag) => !tag.includes(` nonce="${nonce}"`)),
      `${name}: scripts without the nonce`,
    ).toEqual([]);

    if (path === "/explore") {
      // A client control: the sort select changes the URL through the router.
      await w.page.getByTestId("sort").click();
      await w.page.getByRole("option", { name: "Price: low to high" }).click();
      await settled(w.page, "sort=price_asc");
    }
    expect(await w.violations(), `${name}: securitypolicyviolation events`).toEqual([]);
    await checkHydrated(w.page);

    expect(await w.violations(), `${name}: securitypolicyviolation events`).toEqual([]);
    expect(w.console, `${name}: CSP messages in the console`).toEqual([]);
    expect(w.errors, `${name}: page errors`).toEqual([]);
    await w.page.context().close();
  });

  it("reports no violation on the other pages, signed in, nor in the phone drawer", async () => {
    const w = await watchedPage();
    const visit = async (path: string) => {
      await w.page.goto(path);
      await w.page.waitForLoadState("networkidle");
      expect(await w.violations(), path).toEqual([]);
    };
    for (const path of ["/search?q=striped+summer+dress", "/profile", "/no-such-page"]) {
      await visit(path);
    }
    await signIn(w.page);
    await w.page.getByTestId("section-for-you").waitFor();
    expect(await w.violations(), "signed-in Home").toEqual([]);
    await visit("/profile");
    expect(w.console, "CSP messages in the console").toEqual([]);
    await w.page.context().close();

    const phone = await watchedPage(PHONE);
    await phone.page.goto("/explore");
    await phone.page.waitForLoadState("networkidle");
    await phone.page.getByTestId("filters-button").click();
    await phone.page.getByRole("dialog", { name: "Filters" }).waitFor();
    expect(await phone.violations(), "the filter drawer").toEqual([]);
    expect(phone.console, "CSP messages in the console").toEqual([]);
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();
  });

  it("gives every response its own nonce", async () => {
    const nonces = new Set<string>();
    for (let n = 0; n < 3; n++) {
      const res = await fetch(webUrl("/explore"));
      nonces.add(
        /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1] ?? "",
      );
    }
    expect(nonces.size).toBe(3);
    expect(nonces.has("")).toBe(false);
  });

  it("refuses and reports an injected inline event handler", async () => {
    const w = await watchedPage();
    await w.page.goto("/");
    await w.page.waitForLoadState("networkidle");
    // The classic XSS payload: markup with an inline handler, which the nonce cannot cover.
    const ran = await w.page.evaluate(async () => {
      const div = document.createElement("div");
      div.innerHTML = '<img src="data:," onerror="window.__injected = true">';
      document.body.append(div);
      await new Promise((r) => setTimeout(r, 300));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    expect((await w.violations()).map((v) => v.directive)).toContain("script-src-attr");
    expect(w.console.length).toBeGreaterThan(0);
    await w.page.context().close();
  });

  it("keeps the /api proxy, with nosniff on its answers", async () => {
    const res = await fetch(webUrl("/api/health"));
    expect(res.ok).toBe(true);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBeNull();
  });
});
