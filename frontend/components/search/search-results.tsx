import Link from "next/link";

import { ResultList } from "@/components/search/result-row";
import { EmptyState } from "@/components/ui/empty-state";
import { ApiError } from "@/lib/api/client";
import { searchText } from "@/lib/api/catalog";
import type { ArticleList, SearchQuery } from "@/lib/api/types";
import { type FilterState, toFilterQuery } from "@/lib/filters";
import { getSession } from "@/lib/session";

const EXAMPLES = [
  "black ribbed jersey vest top",
  "blue denim shorts",
  "striped summer dress",
  "warm knitted beanie",
];

/** With a signed-in customer the cf part is their affinity; an expired token just drops it. */
async function search(query: SearchQuery): Promise<ArticleList> {
  const session = await getSession();
  try {
    return await searchText(query, session?.token);
  } catch (err) {
    if (session && err instanceof ApiError && err.isAuth) return searchText(query);
    throw err;
  }
}

function weightsLine(result: ArticleList): string {
  const w = result.weights;
  if (!w) return "";
  const shown = (["cf", "text", "image"] as const)
    .filter((k) => w[k] != null)
    .map((k) => `${k} ${(w[k] ?? 0).toFixed(2)}`);
  // CF is the signed-in customer's affinity: absent for a visitor.
  return shown.length ? `Weights: ${shown.join(" · ")}` : "";
}

export async function SearchResults({ state }: { state: FilterState }) {
  if (!state.q) {
    return (
      <EmptyState title="Search the catalog by meaning">
        <p>Type a description, or try one of these:</p>
        <ul className="mt-3 flex flex-wrap justify-center gap-2">
          {EXAMPLES.map((q) => (
            <li key={q}>
              <Link
                href={`/search?q=${encodeURIComponent(q)}`}
                className="inline-block border border-stone-300 px-3 py-1.5 text-xs text-ink hover:border-ink"
              >
                {q}
              </Link>
            </li>
          ))}
        </ul>
      </EmptyState>
    );
  }
  const result = await search({ ...toFilterQuery(state), q: state.q, limit: 24 });
  if (result.items.length === 0) {
    return (
      <EmptyState title={`No results for “${state.q}”`}>
        Try other words or fewer filters.
      </EmptyState>
    );
  }
  return (
    <section aria-labelledby="results-title">
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="results-title" className="text-lg font-semibold">
          Results for “{state.q}”
        </h2>
        <p className="text-xs text-stone-600" data-testid="weights">
          {weightsLine(result)}
        </p>
      </div>
      <ResultList items={result.items} weights={result.weights} label={`Results for ${state.q}`} />
    </section>
  );
}
