"use client";

import { SlidersHorizontalIcon } from "lucide-react";
import { useState } from "react";

import { type FacetData, FilterPanel } from "@/components/explore/filter-panel";
import { Button } from "@/components/ui/button";
import { Sheet, SheetContent, SheetTrigger } from "@/components/ui/sheet";

/** On narrow screens the filters live in a drawer behind a button that shows how many are on. */
export function FilterDrawer({
  active,
  total,
  ...panel
}: {
  active: number;
  total: number;
  facets: FacetData;
  priceRange: [number, number] | null;
  currency: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Sheet open={open} onOpenChange={setOpen}>
      <SheetTrigger asChild>
        <Button variant="outline" size="sm" className="lg:hidden" data-testid="filters-button">
          <SlidersHorizontalIcon aria-hidden="true" />
          Filters{active > 0 ? ` (${active})` : ""}
        </Button>
      </SheetTrigger>
      <SheetContent open={open} title="Filters">
        <FilterPanel {...panel} />
        <Button className="mt-8 w-full" onClick={() => setOpen(false)}>
          Show {total} {total === 1 ? "item" : "items"}
        </Button>
      </SheetContent>
    </Sheet>
  );
}
