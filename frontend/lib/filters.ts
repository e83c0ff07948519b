/**
 * The Explore and Search filter state, kept in the URL so a view can be shared and reloaded.
 * Parsing is forgiving (a hand-edited URL never breaks the page: bad values are dropped) and
 * serialising is canonical (sorted, defaults left out) so equal states give equal URLs.
 */
import type { BrowseQuery, ListFilterQuery, Sort } from "@/lib/api/types";

export const SORTS = [
  "relevance",
  "trending",
  "newest",
  "price_asc",
  "price_desc",
] as const satisfies readonly Sort[];

export const SORT_LABELS: Record<Sort, string> = {
  relevance: "Recommended",
  trending: "Trending",
  newest: "Newest",
  price_asc: "Price: low to high",
  price_desc: "Price: high to low",
};

export const FACETS = ["index_group", "category", "colour"] as const;
export type Facet = (typeof FACETS)[number];

export const PAGE_SIZE = 24;
/** The API's bounds: 20 values per filter, 100 characters per value, offset ≤ 10,000. */
const MAX_VALUES = 20;
const MAX_VALUE_LENGTH = 100;
const MAX_QUERY_LENGTH = 500;
const MAX_PRICE = 1_000_000;
export const MAX_PAGE = Math.floor(10_000 / PAGE_SIZE) + 1;

export interface FilterState {
  q: string;
  index_group: string[];
  category: string[];
  colour: string[];
  min_price: number | null;
  max_price: number | null;
  sort: Sort;
  page: number;
}

export const EMPTY_FILTERS: FilterState = {
  q: "",
  index_group: [],
  category: [],
  colour: [],
  min_price: null,
  max_price: null,
  sort: "relevance",
  page: 1,
};

/** What Next gives a page (`await searchParams`) or the browser gives (`URLSearchParams`). */
export type RawParams =
  URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

function all(raw: RawParams, key: string): string[] {
  if (raw instanceof URLSearchParams) return raw.getAll(key);
  const v = raw[key];
  if (v === undefined) return [];
  return typeof v === "string" ? [v] : [...v];
}

function first(raw: RawParams, key: string): string | undefined {
  return all(raw, key)[0];
}

function values(raw: RawParams, key: string): string[] {
  const kept = all(raw, key)
    .map((v) => v.trim())
    .filter((v) => v !== "" && v.length <= MAX_VALUE_LENGTH);
  return [...new Set(kept)].sort().slice(0, MAX_VALUES);
}

function price(text: string | undefined): number | null {
  if (text === undefined || text.trim() === "") return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) return null;
  return Math.min(n, MAX_PRICE);
}

function isSort(text: string | undefined): text is Sort {
  return (SORTS as readonly string[]).includes(text ?? "");
}

export function parseFilters(raw: RawParams): FilterState {
  let min = price(first(raw, "min_price"));
  let max = price(first(raw, "max_price"));
  if (min !== null && max !== null && min > max) [min, max] = [max, min];
  const sort = first(raw, "sort");
  const page = Number.parseInt(first(raw, "page") ?? "1", 10);
  return {
    q: (first(raw, "q") ?? "").trim().slice(0, MAX_QUERY_LENGTH),
    index_group: values(raw, "index_group"),
    category: values(raw, "category"),
    colour: values(raw, "colour"),
    min_price: min,
    max_price: max,
    sort: isSort(sort) ? sort : "relevance",
    page: Number.isFinite(page) ? Math.min(Math.max(page, 1), MAX_PAGE) : 1,
  };
}

/** "?category=Dress&colour=Black&sort=price_asc", or "" for the default state. */
export function serializeFilters(state: FilterState): string {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  for (const facet of FACETS) for (const v of [...state[facet]].sort()) p.append(facet, v);
  if (state.min_price !== null) p.set("min_price", String(state.min_price));
  if (state.max_price !== null) p.set("max_price", String(state.max_price));
  if (state.sort !== "relevance") p.set("sort", state.sort);
  if (state.page > 1) p.set("page", String(state.page));
  const text = p.toString();
  return text ? `?${text}` : "";
}

export function hrefFor(path: string, state: FilterState): string {
  return `${path}${serializeFilters(state)}`;
}

/** Every change of what matches goes back to page 1. */
export function toggleValue(state: FilterState, facet: Facet, value: string): FilterState {
  const has = state[facet].includes(value);
  const next = has ? state[facet].filter((v) => v !== value) : [...state[facet], value].sort();
  return { ...state, [facet]: next.slice(0, MAX_VALUES), page: 1 };
}

export function withPrice(state: FilterState, min: number | null, max: number | null): FilterState {
  const lo = min === null || !Number.isFinite(min) ? null : Math.max(0, min);
  const hi = max === null || !Number.isFinite(max) ? null : Math.max(0, max);
  if (lo !== null && hi !== null && lo > hi)
    return { ...state, min_price: hi, max_price: lo, page: 1 };
  return { ...state, min_price: lo, max_price: hi, page: 1 };
}

export function withSort(state: FilterState, sort: Sort): FilterState {
  return { ...state, sort, page: 1 };
}

export function withQuery(state: FilterState, q: string): FilterState {
  return { ...state, q: q.trim().slice(0, MAX_QUERY_LENGTH), page: 1 };
}

export function withPage(state: FilterState, page: number): FilterState {
  return { ...state, page: Math.min(Math.max(Math.trunc(page), 1), MAX_PAGE) };
}

/** Clears the filters but keeps the query text and the sort. */
export function clearFilters(state: FilterState): FilterState {
  return { ...EMPTY_FILTERS, q: state.q, sort: state.sort };
}

export function activeFilterCount(state: FilterState): number {
  const price = state.min_price !== null || state.max_price !== null ? 1 : 0;
  return state.index_group.length + state.category.length + state.colour.length + price;
}

/** The filters every list endpoint takes. */
export function toFilterQuery(state: FilterState): ListFilterQuery {
  return {
    category: state.category,
    colour: state.colour,
    index_group: state.index_group,
    min_price: state.min_price,
    max_price: state.max_price,
  };
}

/** The `GET /articles` query of a state. */
export function toBrowseQuery(state: FilterState, pageSize = PAGE_SIZE): BrowseQuery {
  return {
    ...toFilterQuery(state),
    q: state.q || null,
    sort: state.sort,
    limit: pageSize,
    offset: (state.page - 1) * pageSize,
  };
}
