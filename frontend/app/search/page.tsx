import type { Metadata } from "next";

import { ActiveFilters } from "@/components/explore/active-filters";
import { FilterDrawer } from "@/components/explore/filter-drawer";
import { FilterNavProvider, PendingRegion } from "@/components/explore/filter-nav";
import { FilterPanel } from "@/components/explore/filter-panel";
import { SearchBox } from "@/components/explore/search-box";
import { PhotoSearch } from "@/components/search/photo-search";
import { SearchResults } from "@/components/search/search-results";
import { listArticles } from "@/lib/api/catalog";
import { activeFilterCount, parseFilters, serializeFilters, toFilterQuery } from "@/lib/filters";

export const metadata: Metadata = { title: "Merchandiser search" };

export default async function SearchPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const state = parseFilters(await searchParams);
  // Facets and prices of the filtered catalog, for the filter panel.
  const catalog = await listArticles({ ...toFilterQuery(state), limit: 1 });
  const panel = {
    facets: {
      category: catalog.facets.category ?? [],
      colour: catalog.facets.colour ?? [],
      index_group: catalog.facets.index_group ?? [],
    },
    priceRange: catalog.price_range ?? null,
    currency: catalog.items[0]?.currency ?? "EUR",
  };
  return (
    <FilterNavProvider basePath="/search" state={state}>
      <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10">
        <h1 className="text-3xl font-semibold tracking-tight">Merchandiser search</h1>
        <p className="mt-2 max-w-3xl text-sm text-stone-700">
          Semantic search over the catalog. Each result shows how much shoppers&apos; behaviour
          (collaborative filtering), the text and the image contribute to its score.
        </p>
        <div className="mt-6 flex flex-wrap items-center gap-3">
          <SearchBox placeholder="Describe what you are looking for" />
          <FilterDrawer active={activeFilterCount(state)} total={catalog.total} {...panel} />
        </div>
        <div className="mt-4">
          <ActiveFilters basePath="/search" state={state} currency={panel.currency} />
        </div>
        <div className="mt-8 flex gap-10">
          <aside aria-label="Filters" className="hidden w-60 shrink-0 lg:block">
            <FilterPanel {...panel} />
          </aside>
          <div className="flex min-w-0 flex-1 flex-col gap-10">
            <PhotoSearch filters={serializeFilters(state)} />
            <PendingRegion>
              <SearchResults state={state} />
            </PendingRegion>
          </div>
        </div>
      </div>
    </FilterNavProvider>
  );
}
