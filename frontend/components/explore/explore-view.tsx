import Link from "next/link";

import { ActiveFilters } from "@/components/explore/active-filters";
import { FilterDrawer } from "@/components/explore/filter-drawer";
import { FilterNavProvider, PendingRegion } from "@/components/explore/filter-nav";
import { FilterPanel } from "@/components/explore/filter-panel";
import { Pagination } from "@/components/explore/pagination";
import { SearchBox } from "@/components/explore/search-box";
import { SortSelect } from "@/components/explore/sort-select";
import { ProductGrid } from "@/components/product/product-grid";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import type { BrowseResult } from "@/lib/api/types";
import {
  activeFilterCount,
  clearFilters,
  type FilterState,
  hrefFor,
  PAGE_SIZE,
} from "@/lib/filters";

const PATH = "/explore";

function heading(state: FilterState): string {
  if (state.q) return `“${state.q}”`;
  if (state.index_group.length === 1) return state.index_group[0] ?? "Explore";
  if (state.category.length === 1) return state.category[0] ?? "Explore";
  if (state.sort === "newest") return "New arrivals";
  return "Explore";
}

/** The Explore page: filters (sidebar or drawer), sort, search, grid and pages. */
export function ExploreView({ state, result }: { state: FilterState; result: BrowseResult }) {
  const currency = result.items[0]?.currency ?? "EUR";
  const panel = {
    facets: {
      category: result.facets.category ?? [],
      colour: result.facets.colour ?? [],
      index_group: result.facets.index_group ?? [],
    },
    priceRange: result.price_range ?? null,
    currency,
  };
  return (
    <FilterNavProvider basePath={PATH} state={state}>
      <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h1 className="text-3xl font-semibold tracking-tight">{heading(state)}</h1>
          <p className="text-sm text-stone-600" data-testid="total" aria-live="polite">
            {result.total} {result.total === 1 ? "item" : "items"}
          </p>
        </div>
        <div className="mt-6 flex flex-wrap items-center gap-3">
          <SearchBox />
          <div className="flex w-full items-center justify-between gap-3 sm:ml-auto sm:w-auto">
            <FilterDrawer active={activeFilterCount(state)} total={result.total} {...panel} />
            <SortSelect />
          </div>
        </div>
        <div className="mt-4">
          <ActiveFilters basePath={PATH} state={state} currency={currency} />
        </div>
        <div className="mt-8 flex gap-10">
          <aside aria-label="Filters" className="hidden w-60 shrink-0 lg:block">
            <FilterPanel {...panel} />
          </aside>
          <PendingRegion className="min-w-0 flex-1">
            {result.items.length > 0 ? (
              <ProductGrid
                items={result.items}
                label="Products"
                recId={result.rec_id}
                firstPosition={result.offset + 1}
              />
            ) : (
              <EmptyState
                title="Nothing matches these filters"
                action={
                  <Button asChild variant="outline">
                    <Link href={hrefFor(PATH, clearFilters(state))}>Clear filters</Link>
                  </Button>
                }
              >
                Try fewer filters, a wider price range, or other words.
              </EmptyState>
            )}
            <Pagination basePath={PATH} state={state} total={result.total} pageSize={PAGE_SIZE} />
          </PendingRegion>
        </div>
      </div>
    </FilterNavProvider>
  );
}
