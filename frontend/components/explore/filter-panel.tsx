"use client";

import { ColourSwatches } from "@/components/explore/colour-swatches";
import { FacetList } from "@/components/explore/facet-list";
import { useFilterNav } from "@/components/explore/filter-nav";
import { PriceRange } from "@/components/explore/price-range";
import { Separator } from "@/components/ui/separator";
import type { FacetValue } from "@/lib/api/types";
import { withPrice } from "@/lib/filters";

export interface FacetData {
  category: FacetValue[];
  colour: FacetValue[];
  index_group: FacetValue[];
}

/** Every filter with its facet counts: department, category, colour, price. */
export function FilterPanel({
  facets,
  priceRange,
  currency,
}: {
  facets: FacetData;
  priceRange: [number, number] | null;
  currency: string;
}) {
  const { state, go } = useFilterNav();
  return (
    <div className="flex flex-col gap-6" data-testid="filter-panel">
      <FacetList facet="index_group" title="Department" values={facets.index_group} />
      <Separator />
      <FacetList facet="category" title="Category" values={facets.category} />
      <Separator />
      <ColourSwatches values={facets.colour} />
      <Separator />
      <fieldset>
        <legend className="mb-3 text-xs font-semibold uppercase tracking-wider">Price</legend>
        {priceRange ? (
          <PriceRange
            bounds={priceRange}
            value={[state.min_price, state.max_price]}
            currency={currency}
            onCommit={(min, max) => go(withPrice(state, min, max))}
          />
        ) : (
          <p className="text-sm text-stone-600">No prices under these filters.</p>
        )}
      </fieldset>
    </div>
  );
}
