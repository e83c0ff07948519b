"use client";

import { useRouter } from "next/navigation";
import { createContext, use, useTransition } from "react";

import { type FilterState, hrefFor } from "@/lib/filters";

interface FilterNav {
  state: FilterState;
  pending: boolean;
  go: (next: FilterState) => void;
}

const FilterNavContext = createContext<FilterNav | null>(null);

/**
 * Holds the filter state parsed on the server and moves to a new URL when it changes, in a
 * transition so the current results stay (dimmed) until the new ones arrive.
 */
export function FilterNavProvider({
  basePath,
  state,
  children,
}: {
  basePath: string;
  state: FilterState;
  children: React.ReactNode;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const go = (next: FilterState) => {
    startTransition(() => router.push(hrefFor(basePath, next), { scroll: false }));
  };
  return <FilterNavContext value={{ state, pending, go }}>{children}</FilterNavContext>;
}

export function useFilterNav(): FilterNav {
  const nav = use(FilterNavContext);
  if (!nav) throw new Error("useFilterNav needs a FilterNavProvider above it");
  return nav;
}

/** The results region: marked busy and dimmed while new results load. */
export function PendingRegion({
  children,
  className,
}: {
  children: React.ReactNode;
  className?: string;
}) {
  const { pending } = useFilterNav();
  return (
    <div
      aria-busy={pending}
      data-pending={pending ? "" : undefined}
      data-testid="results"
      className={`${className ?? ""} transition-opacity duration-200 ${pending ? "opacity-50" : ""}`}
    >
      {children}
    </div>
  );
}
