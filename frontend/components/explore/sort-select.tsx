"use client";

import { useFilterNav } from "@/components/explore/filter-nav";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import type { Sort } from "@/lib/api/types";
import { SORT_LABELS, SORTS, withSort } from "@/lib/filters";

export function SortSelect() {
  const { state, go } = useFilterNav();
  return (
    <div className="flex items-center gap-2">
      <span aria-hidden="true" className="hidden text-sm text-stone-600 sm:inline">
        Sort by
      </span>
      <Select value={state.sort} onValueChange={(v) => go(withSort(state, v as Sort))}>
        <SelectTrigger aria-label="Sort by" data-testid="sort" className="w-48">
          {/* Written out, so the server HTML shows the sort before the script renders the list. */}
          <SelectValue>{SORT_LABELS[state.sort]}</SelectValue>
        </SelectTrigger>
        <SelectContent>
          {SORTS.map((s) => (
            <SelectItem key={s} value={s}>
              {SORT_LABELS[s]}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
    </div>
  );
}
