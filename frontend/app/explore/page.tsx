import type { Metadata } from "next";

import { ExploreView } from "@/components/explore/explore-view";
import { listArticles } from "@/lib/api/catalog";
import { PAGE_SIZE, parseFilters, toBrowseQuery } from "@/lib/filters";

export const metadata: Metadata = { title: "Explore" };

export default async function ExplorePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const state = parseFilters(await searchParams);
  const result = await listArticles(toBrowseQuery(state, PAGE_SIZE));
  return <ExploreView state={state} result={result} />;
}
