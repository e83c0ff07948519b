import { describe, expect, it } from "vitest";

import { buildQuery } from "@/lib/api/query";
import { pageWindow } from "@/lib/pagination";

describe("buildQuery", () => {
  it("repeats array values, sorts keys and skips empty ones", () => {
    expect(
      buildQuery({
        sort: "price_asc",
        colour: ["Red", "Dark Blue"],
        q: "",
        min_price: null,
        limit: 24,
        x: undefined,
      }),
    ).toBe("?colour=Red&colour=Dark+Blue&limit=24&sort=price_asc");
  });

  it("encodes reserved characters and keeps zero and false", () => {
    expect(
      buildQuery({ category: ["Jumpsuit/Playsuit"], q: "a&b=c", offset: 0, collapse: false }),
    ).toBe("?category=Jumpsuit%2FPlaysuit&collapse=false&offset=0&q=a%26b%3Dc");
  });

  it("gives nothing for no query", () => {
    expect(buildQuery(undefined)).toBe("");
    expect(buildQuery({ colour: [] })).toBe("");
  });
});

describe("pageWindow", () => {
  it("shows every page when there are few", () => {
    expect(pageWindow(1, 3)).toEqual([1, 2, 3]);
  });

  it("keeps the first and last page and marks the gaps", () => {
    expect(pageWindow(10, 20)).toEqual([1, "…", 9, 10, 11, "…", 20]);
    expect(pageWindow(1, 20)).toEqual([1, 2, "…", 20]);
    expect(pageWindow(20, 20)).toEqual([1, "…", 19, 20]);
    expect(pageWindow(3, 20)).toEqual([1, 2, 3, 4, "…", 20]);
  });
});
