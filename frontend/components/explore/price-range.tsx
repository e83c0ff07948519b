"use client";

import { useEffect, useId, useState } from "react";

import { Slider } from "@/components/ui/slider";
import { formatPrice } from "@/lib/format";

type Bound = number | null;

/**
 * A price range as a two-thumb slider and two number fields that stay in step. A thumb at the
 * end of the range means "no bound" (null), so an untouched range filters nothing. With
 * `names`, the fields post in a form; with `onCommit`, a change is reported when it settles.
 */
export function PriceRange({
  bounds,
  value,
  currency,
  onCommit,
  names,
}: {
  bounds: [number, number];
  value: [Bound, Bound];
  currency: string;
  onCommit?: (min: Bound, max: Bound) => void;
  names?: { min: string; max: string };
}) {
  const lo = Math.floor(bounds[0]);
  const hi = Math.max(Math.ceil(bounds[1]), lo + 1);
  const [range, setRange] = useState<[number, number]>([value[0] ?? lo, value[1] ?? hi]);
  const id = useId();
  useEffect(() => setRange([value[0] ?? lo, value[1] ?? hi]), [value[0], value[1], lo, hi]);

  const toBounds = ([a, b]: [number, number]): [Bound, Bound] => [
    a <= lo ? null : a,
    b >= hi ? null : b,
  ];
  const commit = (next: [number, number]) => {
    const sorted: [number, number] = next[0] <= next[1] ? next : [next[1], next[0]];
    setRange(sorted);
    const [min, max] = toBounds(sorted);
    if (min !== value[0] || max !== value[1]) onCommit?.(min, max);
  };
  const field = (i: 0 | 1, label: string) => (
    <label className="flex flex-1 flex-col gap-1 text-xs text-stone-600" htmlFor={`${id}-${i}`}>
      {label}
      <input
        id={`${id}-${i}`}
        type="number"
        inputMode="decimal"
        min={0}
        step="any"
        value={range[i]}
        data-testid={i === 0 ? "price-min" : "price-max"}
        onChange={(e) => {
          const n = Number(e.target.value);
          if (Number.isFinite(n)) setRange(i === 0 ? [n, range[1]] : [range[0], n]);
        }}
        onBlur={() => commit(range)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            commit(range);
          }
        }}
        className="h-10 w-full border border-stone-300 px-2 text-sm text-ink tabular-nums outline-none focus-visible:border-ink focus-visible:ring-1 focus-visible:ring-ink"
      />
    </label>
  );

  return (
    <div className="flex flex-col gap-3" data-testid="price-range">
      <Slider
        min={lo}
        max={hi}
        step={1}
        minStepsBetweenThumbs={1}
        value={range}
        thumbLabels={["Minimum price", "Maximum price"]}
        onValueChange={(v) => setRange([v[0] ?? lo, v[1] ?? hi])}
        onValueCommit={(v) => commit([v[0] ?? lo, v[1] ?? hi])}
      />
      <p className="text-sm tabular-nums" aria-live="polite">
        {formatPrice(range[0], currency)} – {formatPrice(range[1], currency)}
      </p>
      <div className="flex gap-3">
        {field(0, "Min")}
        {field(1, "Max")}
      </div>
      {names ? (
        <>
          <input type="hidden" name={names.min} value={toBounds(range)[0] ?? ""} />
          <input type="hidden" name={names.max} value={toBounds(range)[1] ?? ""} />
        </>
      ) : null}
    </div>
  );
}
