import { describe, expect, it } from "vitest";

import {
  activeFilterCount,
  clearFilters,
  EMPTY_FILTERS,
  type FilterState,
  MAX_PAGE,
  parseFilters,
  serializeFilters,
  toBrowseQuery,
  toggleValue,
  withPage,
  withPrice,
  withQuery,
  withSort,
} from "@/lib/filters";

const url = (query: string) => new URLSearchParams(query);

describe("parseFilters", () => {
  it("reads repeated values, prices, sort and page", () => {
    const s = parseFilters(
      url(
        "colour=Red&colour=Black&category=Dress&min_price=10&max_price=40.5&sort=price_asc&page=3&q=summer",
      ),
    );
    expect(s).toEqual({
      q: "summer",
      index_group: [],
      category: ["Dress"],
      colour: ["Black", "Red"],
      min_price: 10,
      max_price: 40.5,
      sort: "price_asc",
      page: 3,
    });
  });

  it("gives the default state for an empty URL", () => {
    expect(parseFilters(url(""))).toEqual(EMPTY_FILTERS);
  });

  it("reads what Next passes a page (strings or arrays)", () => {
    const s = parseFilters({ colour: ["Blue", "Blue", " White "], index_group: "Menswear" });
    expect(s.colour).toEqual(["Blue", "White"]);
    expect(s.index_group).toEqual(["Menswear"]);
  });

  it("drops what a hand-edited URL gets wrong", () => {
    const s = parseFilters(
      url(`sort=cheapest&page=-4&min_price=abc&max_price=-1&colour=&category=${"x".repeat(101)}`),
    );
    expect(s.sort).toBe("relevance");
    expect(s.page).toBe(1);
    expect(s.min_price).toBeNull();
    expect(s.max_price).toBeNull();
    expect(s.colour).toEqual([]);
    expect(s.category).toEqual([]);
  });

  it("puts a reversed price range the right way round and bounds the page", () => {
    const s = parseFilters(url(`min_price=50&max_price=20&page=${MAX_PAGE + 50}`));
    expect([s.min_price, s.max_price]).toEqual([20, 50]);
    expect(s.page).toBe(MAX_PAGE);
  });

  it("keeps at most 20 values per filter, as the API allows", () => {
    const many = Array.from({ length: 30 }, (_, i) => `colour=c${String(i).padStart(2, "0")}`).join(
      "&",
    );
    expect(parseFilters(url(many)).colour).toHaveLength(20);
  });
});

describe("serializeFilters", () => {
  it("leaves out defaults", () => {
    expect(serializeFilters(EMPTY_FILTERS)).toBe("");
    expect(serializeFilters({ ...EMPTY_FILTERS, page: 1, sort: "relevance" })).toBe("");
  });

  it("is canonical: the order values were picked in does not change the URL", () => {
    const a = toggleValue(toggleValue(EMPTY_FILTERS, "colour", "Red"), "colour", "Black");
    const b = toggleValue(toggleValue(EMPTY_FILTERS, "colour", "Black"), "colour", "Red");
    expect(serializeFilters(a)).toBe(serializeFilters(b));
    expect(serializeFilters(a)).toBe("?colour=Black&colour=Red");
  });

  it("round-trips through the URL", () => {
    const states: FilterState[] = [
      { ...EMPTY_FILTERS, q: "black vest & co", colour: ["Dark Blue"], sort: "newest", page: 2 },
      {
        ...EMPTY_FILTERS,
        category: ["Jumpsuit/Playsuit", "T-shirt"],
        min_price: 0,
        max_price: 9.99,
      },
      { ...EMPTY_FILTERS, index_group: ["Baby/Children"], max_price: 100, sort: "price_desc" },
    ];
    for (const s of states) expect(parseFilters(url(serializeFilters(s)))).toEqual(s);
  });
});

describe("changes", () => {
  const base: FilterState = {
    ...EMPTY_FILTERS,
    colour: ["Red"],
    page: 4,
    q: "dress",
    sort: "newest",
  };

  it("toggling a value adds or removes it and goes back to page 1", () => {
    expect(toggleValue(base, "colour", "Blue")).toMatchObject({ colour: ["Blue", "Red"], page: 1 });
    expect(toggleValue(base, "colour", "Red")).toMatchObject({ colour: [], page: 1 });
  });

  it("a price, sort or query change goes back to page 1", () => {
    expect(withPrice(base, 10, 20)).toMatchObject({ min_price: 10, max_price: 20, page: 1 });
    expect(withPrice(base, 30, 20)).toMatchObject({ min_price: 20, max_price: 30 });
    expect(withPrice(base, -5, null)).toMatchObject({ min_price: 0, max_price: null });
    expect(withSort(base, "price_asc")).toMatchObject({ sort: "price_asc", page: 1 });
    expect(withQuery(base, "  shorts ")).toMatchObject({ q: "shorts", page: 1 });
  });

  it("paging keeps the filters", () => {
    expect(withPage(base, 7)).toEqual({ ...base, page: 7 });
    expect(withPage(base, 0).page).toBe(1);
  });

  it("clearing keeps the query and the sort", () => {
    const s = clearFilters({ ...base, min_price: 5, index_group: ["Sport"] });
    expect(s).toEqual({ ...EMPTY_FILTERS, q: "dress", sort: "newest" });
    expect(activeFilterCount(s)).toBe(0);
  });

  it("counts a price range as one filter", () => {
    expect(activeFilterCount({ ...base, min_price: 5, max_price: 9 })).toBe(2);
  });
});

describe("toBrowseQuery", () => {
  it("turns the page into an offset and an empty query into null", () => {
    const q = toBrowseQuery({ ...EMPTY_FILTERS, colour: ["Black"], page: 3 }, 24);
    expect(q).toMatchObject({
      colour: ["Black"],
      limit: 24,
      offset: 48,
      q: null,
      sort: "relevance",
    });
  });
});
