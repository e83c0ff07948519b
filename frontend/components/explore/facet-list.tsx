"use client";

import { useId, useState } from "react";

import { useFilterNav } from "@/components/explore/filter-nav";
import { Checkbox } from "@/components/ui/checkbox";
import type { FacetValue } from "@/lib/api/types";
import { type Facet, toggleValue } from "@/lib/filters";

const SHOWN = 8;

/** Values of one facet as checkboxes with their counts; selected ones always listed. */
export function FacetList({
  facet,
  title,
  values,
}: {
  facet: Facet;
  title: string;
  values: FacetValue[];
}) {
  const { state, go } = useFilterNav();
  const [expanded, setExpanded] = useState(false);
  const id = useId();
  const selected = state[facet];
  const listed = [
    ...values,
    ...selected
      .filter((v) => !values.some((f) => f.value === v))
      .map((v) => ({ value: v, count: 0 })),
  ];
  const shown = expanded ? listed : listed.slice(0, SHOWN);
  return (
    <fieldset data-testid={`facet-${facet}`} className="flex flex-col gap-1">
      <legend className="mb-2 text-xs font-semibold uppercase tracking-wider">{title}</legend>
      {shown.map(({ value, count }) => {
        const inputId = `${id}-${value}`;
        return (
          <div key={value} className="flex items-center gap-3 py-1">
            <Checkbox
              id={inputId}
              checked={selected.includes(value)}
              onCheckedChange={() => go(toggleValue(state, facet, value))}
            />
            <label
              htmlFor={inputId}
              className="flex flex-1 cursor-pointer justify-between gap-2 text-sm"
            >
              <span>{value}</span>
              <span className="tabular-nums text-stone-500" data-testid="facet-count">
                {count}
              </span>
            </label>
          </div>
        );
      })}
      {listed.length > SHOWN ? (
        <button
          type="button"
          onClick={() => setExpanded(!expanded)}
          aria-expanded={expanded}
          className="mt-1 self-start text-sm underline underline-offset-4 outline-none focus-visible:ring-2 focus-visible:ring-ink"
        >
          {expanded ? "Show fewer" : `Show all ${listed.length}`}
        </button>
      ) : null}
    </fieldset>
  );
}
