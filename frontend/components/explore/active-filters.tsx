import { XIcon } from "lucide-react";
import Link from "next/link";

import { formatPrice } from "@/lib/format";
import {
  clearFilters,
  FACETS,
  type FilterState,
  hrefFor,
  toggleValue,
  withPrice,
} from "@/lib/filters";

/** The filters that are on, each a link that takes it off, and one that clears them all. */
export function ActiveFilters({
  basePath,
  state,
  currency,
}: {
  basePath: string;
  state: FilterState;
  currency: string;
}) {
  const chips: { label: string; href: string }[] = FACETS.flatMap((facet) =>
    state[facet].map((value) => ({
      label: value,
      href: hrefFor(basePath, toggleValue(state, facet, value)),
    })),
  );
  if (state.min_price !== null || state.max_price !== null) {
    const lo = state.min_price === null ? "" : formatPrice(state.min_price, currency);
    const hi = state.max_price === null ? "" : formatPrice(state.max_price, currency);
    const label = lo && hi ? `${lo} – ${hi}` : lo ? `From ${lo}` : `Up to ${hi}`;
    chips.push({ label, href: hrefFor(basePath, withPrice(state, null, null)) });
  }
  if (chips.length === 0) return null;
  return (
    <ul
      aria-label="Active filters"
      className="flex flex-wrap items-center gap-2"
      data-testid="active-filters"
    >
      {chips.map((chip) => (
        <li key={chip.href}>
          <Link
            href={chip.href}
            scroll={false}
            aria-label={`Remove filter ${chip.label}`}
            className="inline-flex items-center gap-1.5 border border-stone-300 px-3 py-1.5 text-xs hover:border-ink focus-visible:ring-2 focus-visible:ring-ink outline-none"
          >
            {chip.label}
            <XIcon className="size-3" aria-hidden="true" />
          </Link>
        </li>
      ))}
      <li>
        <Link
          href={hrefFor(basePath, clearFilters(state))}
          scroll={false}
          className="px-2 text-xs underline underline-offset-4"
        >
          Clear all
        </Link>
      </li>
    </ul>
  );
}
