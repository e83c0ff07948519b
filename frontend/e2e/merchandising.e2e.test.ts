/**
 * The merchandising console (/merchandising) behind the staff sign-in: a merchandiser signs in
 * with their own key, writes a pin in the editor, sees it in the before/after preview, saves it,
 * and a shopper finds the pinned article at its position on the search page; the audit trail
 * names that merchandiser's key. Signed out, or signed in as a shopper, the staff pages send to
 * the staff sign-in.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import {
  DESKTOP,
  imagesSettled,
  launch,
  newContext,
  open,
  PHONE,
  screenshot,
  seriousViolations,
  settled,
  signIn,
  staffSignIn,
} from "./browser";

/** A query no other test sends: the rule applies to it alone. */
const QUERY = "linen summer dress";
let browser: Browser;
let pinned: string;

async function api<T>(path: string, init: RequestInit = {}, key = inject("adminKey")): Promise<T> {
  const res = await fetch(`${inject("apiUrl")}${path}`, {
    ...init,
    headers: { "Content-Type": "application/json", "X-API-Key": key, ...init.headers },
  });
  expect(res.ok, `${path}: ${res.status} ${await res.clone().text()}`).toBe(true);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function removeRules(): Promise<void> {
  const { rules } = await api<{ rules: { id: number; name: string }[] }>("/admin/rules");
  for (const r of rules.filter((x) => x.name.startsWith("E2E"))) {
    await api(`/admin/rules/${r.id}`, { method: "DELETE" });
  }
}

beforeAll(async () => {
  browser = await launch();
  const search = await fetch(`${inject("apiUrl")}/search?q=${encodeURIComponent(QUERY)}&limit=12`);
  const shown = new Set(
    ((await search.json()) as { items: { article_id: string }[] }).items.map((i) => i.article_id),
  );
  const trend = await fetch(`${inject("apiUrl")}/trending?limit=60&window_days=30`);
  const items = ((await trend.json()) as { items: { article_id: string }[] }).items;
  const outside = items.reverse().find((i) => !shown.has(i.article_id));
  if (!outside) throw new Error("no article outside the first page of the search");
  pinned = outside.article_id;
});
afterAll(async () => {
  await removeRules();
  await browser?.close();
});

async function fillPin(page: Page): Promise<void> {
  await page.getByLabel("Name").fill("E2E pin");
  await page.getByTestId("rule-query").fill(QUERY);
  await page
    .getByRole("combobox", { name: "How the search query must match" })
    .selectOption("equals");
  await page.getByTestId("rule-action").selectOption("pin");
  await page.getByTestId("pin-article").fill(pinned);
  await page.getByTestId("pin-position").fill("1");
}

describe("merchandising", () => {
  it("sends a visitor without a staff session to the staff sign-in", async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto("/merchandising");
    await page.waitForURL((u) => u.pathname === "/staff/sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/merchandising");
    // A shopper's session does not open it either.
    await signIn(page);
    await page.goto("/merchandising");
    await page.waitForURL((u) => u.pathname === "/staff/sign-in");
    await page.goto("/catalog");
    await page.waitForURL((u) => u.pathname === "/staff/sign-in");
    // A key that is not staff's is refused, in words.
    await page.getByLabel("Your API key").fill(inject("serviceKey"));
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByTestId("staff-sign-in-error").innerText()).toMatch(/service key/);
    await page.getByLabel("Your API key").fill("not-a-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page
      .getByTestId("staff-sign-in-error")
      .getByText(/does not know/)
      .waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "lookbook_staff")).toBeUndefined();
    await page.context().close();
  });

  it("previews a pin, saves it, and the shopper's search shows it at its position", async () => {
    const page = await (await newContext(browser)).newPage();
    await staffSignIn(page, inject("merchandiserKey"));
    expect(await page.getByTestId("staff-name").innerText()).toMatch(/storefront-e2e/);
    const cookie = (await page.context().cookies()).find((c) => c.name === "lookbook_staff");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");
    expect(cookie?.value).not.toContain(inject("merchandiserKey"));

    await fillPin(page);
    await page.getByTestId("rule-preview").click();
    const after = page.getByTestId("preview-after").getByTestId("preview-item");
    await after.first().waitFor();
    expect(await after.first().getAttribute("data-article-id")).toBe(pinned);
    expect(await after.first().getAttribute("data-moved")).toBe("pin");
    const before = page.getByTestId("preview-before").getByTestId("preview-item");
    expect(await before.first().getAttribute("data-article-id")).not.toBe(pinned);
    // Nothing is stored by a preview.
    const none = await api<{ rules: unknown[] }>("/admin/rules");
    expect(none.rules).toEqual([]);

    await page.getByTestId("rule-save").click();
    await page
      .getByTestId("rule-saved")
      .getByText(/Saved “E2E pin”/)
      .waitFor();
    await page.getByTestId("rule-row").first().waitFor();
    expect(await page.getByTestId("rule-row").first().getAttribute("data-status")).toBe("active");

    const shopper = await (await newContext(browser)).newPage();
    await open(shopper, `/search?q=${encodeURIComponent(QUERY)}`);
    await settled(shopper);
    const first = shopper.getByTestId("search-result").first();
    expect(await first.getAttribute("data-article-id")).toBe(pinned);
    expect(await first.getByTestId("moved-by-rule").innerText()).toMatch(/Pinned by E2E pin/);
    await shopper.context().close();

    const audit = await api<{ items: { key_name: string; method: string; path: string }[] }>(
      "/admin/audit?limit=50",
    );
    expect(
      audit.items.some(
        (a) => a.key_name === "storefront-e2e" && a.method === "POST" && a.path === "/admin/rules",
      ),
    ).toBe(true);
    await page.context().close();
  });

  it.each([
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ])("looks right on a %s, with a preview", async (_label, viewport) => {
    const ctx = await newContext(browser, viewport);
    const page = await ctx.newPage();
    try {
      await staffSignIn(page, inject("merchandiserKey"));
      await fillPin(page);
      await page.getByTestId("rule-preview").click();
      await page.getByTestId("preview-after").getByTestId("preview-item").first().waitFor();
      await imagesSettled(page);
      expect(await seriousViolations(page), "merchandising").toEqual([]);
      await screenshot(page, "merchandising");
      await open(page, "/staff/sign-in");
      expect(await seriousViolations(page), "staff sign-in").toEqual([]);
      await screenshot(page, "staff-sign-in");
    } finally {
      await ctx.close();
    }
  });
});
