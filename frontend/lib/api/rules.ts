import { apiFetch } from "@/lib/api/client";
import type { ArticleList, BrowseResult, Rule, RuleIn, RuleList } from "@/lib/api/types";

/** Merchandising rules (`/admin/rules`), with the signed-in staff member's own key. */
export function listRules(apiKey: string): Promise<RuleList> {
  return apiFetch<RuleList>("/admin/rules", { apiKey });
}

export function createRule(rule: RuleIn, apiKey: string): Promise<Rule> {
  return apiFetch<Rule>("/admin/rules", { method: "POST", json: rule, apiKey });
}

export function patchRule(id: number, changes: Partial<RuleIn>, apiKey: string): Promise<Rule> {
  return apiFetch<Rule>(`/admin/rules/${id}`, { method: "PATCH", json: changes, apiKey });
}

export function deleteRule(id: number, apiKey: string): Promise<void> {
  return apiFetch<void>(`/admin/rules/${id}`, { method: "DELETE", apiKey });
}

/** What a preview can show: the surfaces a staff key may read. */
export type PreviewSurface = "search" | "browse" | "trending" | "similar";

export interface PreviewTarget {
  surface: PreviewSurface;
  /** search: the query; browse: an optional text query. */
  q?: string;
  category?: string;
  index_group?: string;
  /** similar: the article whose similar items are shown. */
  article_id?: string;
}

/**
 * One surface's first page as shoppers see it now (`draft` null), or with a draft rule applied
 * as if saved (`preview_rule`).
 */
export async function previewList(
  target: PreviewTarget,
  draft: RuleIn | null,
  apiKey: string,
): Promise<ArticleList | BrowseResult> {
  const query: Record<string, string | number | undefined> = { limit: 12 };
  if (draft) query.preview_rule = JSON.stringify(draft);
  if (target.category) query.category = target.category;
  if (target.index_group) query.index_group = target.index_group;
  switch (target.surface) {
    case "search":
      return apiFetch<ArticleList>("/search", {
        query: { ...query, q: target.q || "dress" },
        apiKey,
      });
    case "browse":
      return apiFetch<BrowseResult>("/articles", {
        query: { ...query, q: target.q || undefined },
        apiKey,
      });
    case "trending":
      return apiFetch<ArticleList>("/trending", { query, apiKey });
    case "similar":
      return apiFetch<ArticleList>(
        `/articles/${encodeURIComponent(target.article_id ?? "")}/similar`,
        { query, apiKey },
      );
  }
}
