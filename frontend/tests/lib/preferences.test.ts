import { describe, expect, it } from "vitest";

import { normaliseCustomerId } from "@/lib/ids";
import { preferencesFromForm } from "@/lib/preferences";

function form(entries: [string, string][]): FormData {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
}

describe("preferencesFromForm", () => {
  it("reads the lists, the price range and the style", () => {
    const prefs = preferencesFromForm(
      form([
        ["category", "Dress"],
        ["category", "Dress"],
        ["category", "Skirt"],
        ["colour", "Black"],
        ["min_price", "10"],
        ["max_price", "49.999"],
        ["style", "  relaxed linen  "],
      ]),
    );
    expect(prefs).toEqual({
      favourite_categories: ["Dress", "Skirt"],
      favourite_colours: ["Black"],
      min_price: 10,
      max_price: 50,
      style: "relaxed linen",
    });
  });

  it("treats empty bounds as none and puts a reversed range right", () => {
    expect(
      preferencesFromForm(
        form([
          ["min_price", ""],
          ["max_price", ""],
        ]),
      ),
    ).toMatchObject({
      min_price: null,
      max_price: null,
    });
    expect(
      preferencesFromForm(
        form([
          ["min_price", "80"],
          ["max_price", "20"],
        ]),
      ),
    ).toMatchObject({
      min_price: 20,
      max_price: 80,
    });
    expect(preferencesFromForm(form([["min_price", "-3"]])).min_price).toBeNull();
  });

  it("keeps within the API's bounds", () => {
    const many = Array.from({ length: 25 }, (_, i): [string, string] => ["colour", `c${i}`]);
    const prefs = preferencesFromForm(form([...many, ["style", "x".repeat(400)]]));
    expect(prefs.favourite_colours).toHaveLength(20);
    expect(prefs.style).toHaveLength(300);
  });
});

describe("normaliseCustomerId", () => {
  it("accepts 64 hex characters, trimmed and lower-cased", () => {
    const id = "AB".repeat(32);
    expect(normaliseCustomerId(`  ${id} `)).toBe(id.toLowerCase());
    expect(normaliseCustomerId("xyz")).toBeNull();
    expect(normaliseCustomerId("a".repeat(63))).toBeNull();
  });
});
