import { describe, expect, it } from "vitest";

import {
  availability,
  availabilityLabel,
  confirmation,
  editFromForm,
  messageFor,
  parseLookup,
  parsePrice,
} from "@/lib/catalog";

const ARTICLE = "0108775015";

function form(entries: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(entries)) f.append(k, v);
  return f;
}

describe("parseLookup", () => {
  it("takes ten digits as an id, other text as words, nothing as the newest", () => {
    expect(parseLookup(` ${ARTICLE} `)).toEqual({ kind: "id", id: ARTICLE });
    expect(parseLookup("black dress")).toEqual({ kind: "text", q: "black dress" });
    expect(parseLookup("123")).toEqual({ kind: "text", q: "123" });
    expect(parseLookup(["  ", "ignored"])).toEqual({ kind: "newest" });
    expect(parseLookup(undefined)).toEqual({ kind: "newest" });
  });

  it("bounds the words", () => {
    const q = parseLookup("a".repeat(900));
    expect(q.kind === "text" && q.q.length).toBe(500);
  });
});

describe("availability", () => {
  it("says hidden before out of stock, and nothing for an article on sale", () => {
    expect(availability({ in_stock: true, hidden: false })).toBe("available");
    expect(availability({ in_stock: false, hidden: false })).toBe("out-of-stock");
    expect(availability({ in_stock: false, hidden: true })).toBe("hidden");
    expect(availabilityLabel({ in_stock: true, hidden: false })).toBeNull();
    expect(availabilityLabel({ in_stock: false, hidden: false })).toBe("Out of stock");
    expect(availabilityLabel({ in_stock: true, hidden: true })).toBe("Not available");
  });
});

describe("parsePrice", () => {
  it("reads a point or a comma, and leaves the range to the API", () => {
    expect(parsePrice(" 24.99 ")).toEqual({ ok: true, value: 24.99 });
    expect(parsePrice("24,5")).toEqual({ ok: true, value: 24.5 });
    expect(parsePrice("25")).toEqual({ ok: true, value: 25 });
    expect(parsePrice("-5")).toEqual({ ok: true, value: -5 });
  });

  it("refuses what is not a price", () => {
    for (const bad of ["", "  ", "abc", "€12", "1e3", "12.", "1.2.3", "12.999"]) {
      expect(parsePrice(bad).ok, bad).toBe(false);
    }
    expect(parsePrice("12.999")).toEqual({ ok: false, message: "Use at most two decimals." });
  });
});

describe("editFromForm", () => {
  it("turns each button into one change", () => {
    const base = { article_id: ARTICLE, price: "19.90" };
    expect(editFromForm(form({ ...base, intent: "price" }))).toEqual({
      ok: true,
      edit: { articleId: ARTICLE, field: "price", patch: { price: 19.9 } },
    });
    expect(editFromForm(form({ ...base, intent: "in_stock:false" }))).toEqual({
      ok: true,
      edit: { articleId: ARTICLE, field: "in_stock", patch: { in_stock: false } },
    });
    expect(editFromForm(form({ ...base, intent: "hidden:true" }))).toEqual({
      ok: true,
      edit: { articleId: ARTICLE, field: "hidden", patch: { hidden: true } },
    });
  });

  it("names the price field when the price is not a number", () => {
    expect(editFromForm(form({ article_id: ARTICLE, price: "cheap", intent: "price" }))).toEqual({
      ok: false,
      field: "price",
      message: "Enter a price as a number, such as 24.99.",
    });
  });

  it("refuses a forged id or intent", () => {
    const forged: Record<string, string>[] = [
      { article_id: "108775015", intent: "in_stock:false" },
      { article_id: ARTICLE, intent: "delete" },
      { article_id: ARTICLE, intent: "in_stock:maybe" },
      { article_id: ARTICLE },
    ];
    for (const entries of forged) {
      expect(editFromForm(form(entries))).toMatchObject({ ok: false, field: null });
    }
  });
});

describe("confirmation", () => {
  it("says what the shop does now", () => {
    const edit = (field: "price" | "in_stock" | "hidden", patch: object) =>
      ({ articleId: ARTICLE, field, patch }) as Parameters<typeof confirmation>[0];
    expect(confirmation(edit("price", { price: 12.5 }), "EUR")).toBe(
      "Price set to €12.50: the shop shows it now.",
    );
    expect(confirmation(edit("in_stock", { in_stock: false }), "EUR")).toMatch(/out of stock/);
    expect(confirmation(edit("in_stock", { in_stock: true }), "EUR")).toMatch(/Back in stock/);
    expect(confirmation(edit("hidden", { hidden: true }), "EUR")).toMatch(/^Hidden/);
    expect(confirmation(edit("hidden", { hidden: false }), "EUR")).toMatch(/Shown/);
  });
});

describe("messageFor", () => {
  it("finds a field's message, in a batch too", () => {
    const errors = [
      { field: "body", message: "name at least one field" },
      { field: "items.0.price", message: "must be at least 0" },
    ];
    expect(messageFor(errors, "price")).toBe("must be at least 0");
    expect(messageFor(errors, "in_stock")).toBeNull();
  });
});
