import Link from "next/link";

import { cn } from "@/lib/utils";

/** H&M's index groups, as shortcuts into Explore. */
const DEPARTMENTS = [
  ["Ladies", "Ladieswear"],
  ["Divided", "Divided"],
  ["Men", "Menswear"],
  ["Kids", "Baby/Children"],
  ["Sport", "Sport"],
] as const;

export function DepartmentNav({ className }: { className?: string }) {
  return (
    <nav aria-label="Departments" className={cn("items-center gap-1", className)}>
      <Link
        href="/explore"
        className="whitespace-nowrap px-3 py-3 text-sm font-semibold outline-none hover:underline focus-visible:ring-2 focus-visible:ring-ink"
      >
        Explore all
      </Link>
      <Link
        href="/explore?sort=newest"
        className="whitespace-nowrap px-3 py-3 text-sm outline-none hover:underline focus-visible:ring-2 focus-visible:ring-ink"
      >
        New arrivals
      </Link>
      {DEPARTMENTS.map(([label, group]) => (
        <Link
          key={group}
          href={`/explore?index_group=${encodeURIComponent(group)}`}
          className="whitespace-nowrap px-3 py-3 text-sm outline-none hover:underline focus-visible:ring-2 focus-visible:ring-ink"
        >
          {label}
        </Link>
      ))}
    </nav>
  );
}
