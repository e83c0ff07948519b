"use client";

import { CheckIcon } from "lucide-react";

import { useFilterNav } from "@/components/explore/filter-nav";
import type { FacetValue } from "@/lib/api/types";
import { isLightSwatch, swatchColour } from "@/lib/colours";
import { toggleValue } from "@/lib/filters";
import { cn } from "@/lib/utils";

/** The colour facet as round swatches, each a toggle button named with its colour and count. */
export function ColourSwatches({ values }: { values: FacetValue[] }) {
  const { state, go } = useFilterNav();
  const listed = [
    ...values,
    ...state.colour
      .filter((v) => !values.some((f) => f.value === v))
      .map((v) => ({ value: v, count: 0 })),
  ];
  return (
    <fieldset data-testid="facet-colour">
      <legend className="mb-3 text-xs font-semibold uppercase tracking-wider">Colour</legend>
      <div className="grid grid-cols-4 gap-x-2 gap-y-3">
        {listed.map(({ value, count }) => {
          const on = state.colour.includes(value);
          return (
            <button
              key={value}
              type="button"
              aria-pressed={on}
              data-testid="colour-swatch"
              data-colour={value}
              data-count={count}
              onClick={() => go(toggleValue(state, "colour", value))}
              className="group flex flex-col items-center gap-1 outline-none"
            >
              <span
                className={cn(
                  "flex size-8 items-center justify-center rounded-full transition-shadow group-focus-visible:ring-2 group-focus-visible:ring-ink group-focus-visible:ring-offset-2",
                  isLightSwatch(value) ? "ring-1 ring-stone-300" : "",
                  on ? "ring-2 ring-ink ring-offset-2" : "",
                )}
                style={{ backgroundColor: swatchColour(value) }}
              >
                {on ? (
                  <CheckIcon
                    className={cn("size-4", isLightSwatch(value) ? "text-ink" : "text-white")}
                    strokeWidth={3}
                    aria-hidden="true"
                  />
                ) : null}
              </span>
              <span className="text-center text-[11px] leading-tight text-stone-700">
                {value}
                <span className="sr-only">, </span>
                <span className="block tabular-nums text-stone-500" data-testid="facet-count">
                  {count}
                </span>
                <span className="sr-only"> items</span>
              </span>
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}
