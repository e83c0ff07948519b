import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { editArticle, type EditState } from "@/lib/actions/catalog";
import { getStaff, type Staff } from "@/lib/staff";

vi.mock("next/cache", () => ({ revalidatePath: vi.fn() }));
vi.mock("@/lib/staff", () => ({ getStaff: vi.fn() }));

const ARTICLE = "0108775015";
const KEY = "lbk_test_merchandiser";
const STAFF: Staff = { name: "ana", role: "merchandiser", key: KEY, expires: Date.now() + 1e6 };
const IDLE: EditState = { status: "idle", message: "", field: null, applied: {} };

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json" },
  });
}

function form(entries: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(entries)) f.append(k, v);
  return f;
}

let fetch: ReturnType<typeof vi.fn>;
beforeEach(() => {
  vi.stubEnv("LOOKBOOK_API_URL", "http://api.test");
  vi.mocked(getStaff).mockResolvedValue(STAFF);
  fetch = vi
    .fn()
    .mockImplementation(async () => answer(200, { seq: 7, article_id: ARTICLE, op: "patch" }));
  vi.stubGlobal("fetch", fetch);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

describe("editArticle", () => {
  it("patches with the signed-in merchandiser's own key and reports what it set", async () => {
    const state = await editArticle(
      IDLE,
      form({ article_id: ARTICLE, price: "12.50", currency: "EUR", intent: "price" }),
    );
    expect(state).toEqual({
      status: "done",
      message: "Price set to €12.50: the shop shows it now.",
      field: null,
      applied: { price: 12.5 },
    });
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(`http://api.test/admin/articles/${ARTICLE}`);
    expect(init.method).toBe("PATCH");
    expect((init.headers as Record<string, string>)["X-API-Key"]).toBe(KEY);
    expect(JSON.parse(String(init.body))).toEqual({ price: 12.5 });
  });

  it("puts the API's 422 next to the field it names", async () => {
    fetch.mockResolvedValueOnce(
      answer(422, {
        type: "https://lookbook.dev/problems/invalid-input",
        title: "Invalid input",
        status: 422,
        detail: "price: Input should be greater than or equal to 0",
        errors: [{ field: "price", message: "Input should be greater than or equal to 0" }],
      }),
    );
    const state = await editArticle(
      IDLE,
      form({ article_id: ARTICLE, price: "-1", intent: "price" }),
    );
    expect(state).toEqual({
      status: "error",
      message: "Input should be greater than or equal to 0",
      field: "price",
      applied: {},
    });
  });

  it("says when the staff session ended or the key is refused, never calling the API without one", async () => {
    vi.mocked(getStaff).mockResolvedValueOnce(null);
    const stock = form({ article_id: ARTICLE, intent: "in_stock:false" });
    expect(await editArticle(IDLE, stock)).toMatchObject({
      status: "error",
      message: expect.stringContaining("sign in again"),
    });
    expect(fetch).not.toHaveBeenCalled();

    fetch.mockResolvedValueOnce(answer(401, { status: 401, detail: "unknown or revoked API key" }));
    expect(await editArticle(IDLE, stock)).toMatchObject({
      status: "error",
      field: null,
      message: expect.stringContaining("refused the merchandiser key"),
    });
  });

  it("refuses a bad form before the API", async () => {
    const state = await editArticle(IDLE, form({ article_id: ARTICLE, intent: "price" }));
    expect(state).toMatchObject({ status: "error", field: "price", message: "Enter a price." });
    expect(fetch).not.toHaveBeenCalled();
  });
});
