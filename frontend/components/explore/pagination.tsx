import { ChevronLeftIcon, ChevronRightIcon } from "lucide-react";
import Link from "next/link";

import { type FilterState, hrefFor, MAX_PAGE, withPage } from "@/lib/filters";
import { pageWindow } from "@/lib/pagination";
import { cn } from "@/lib/utils";

const cell =
  "flex h-10 min-w-10 items-center justify-center px-2 text-sm outline-none focus-visible:ring-2 focus-visible:ring-ink";

export function Pagination({
  basePath,
  state,
  total,
  pageSize,
}: {
  basePath: string;
  state: FilterState;
  total: number;
  pageSize: number;
}) {
  const last = Math.min(Math.max(1, Math.ceil(total / pageSize)), MAX_PAGE);
  if (last <= 1) return null;
  const page = Math.min(state.page, last);
  const href = (p: number) => hrefFor(basePath, withPage(state, p));
  return (
    <nav
      aria-label="Pages"
      className="mt-12 flex items-center justify-center gap-1"
      data-testid="pagination"
    >
      {page > 1 ? (
        <Link href={href(page - 1)} className={cell} aria-label="Previous page" rel="prev">
          <ChevronLeftIcon className="size-4" aria-hidden="true" />
        </Link>
      ) : null}
      {pageWindow(page, last).map((p, i) =>
        p === "…" ? (
          <span key={`gap-${i}`} className={cn(cell, "text-stone-500")} aria-hidden="true">
            …
          </span>
        ) : (
          <Link
            key={p}
            href={href(p)}
            aria-current={p === page ? "page" : undefined}
            aria-label={`Page ${p}`}
            className={cn(cell, p === page ? "bg-ink text-white" : "hover:bg-stone-100")}
          >
            {p}
          </Link>
        ),
      )}
      {page < last ? (
        <Link href={href(page + 1)} className={cell} aria-label="Next page" rel="next">
          <ChevronRightIcon className="size-4" aria-hidden="true" />
        </Link>
      ) : null}
    </nav>
  );
}
