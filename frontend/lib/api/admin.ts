import { apiFetch } from "@/lib/api/client";
import type { ArticlePatch, BrowseQuery, BrowseResult, CatalogChange } from "@/lib/api/types";

/**
 * The catalog as a merchandiser sees it: out-of-stock and hidden articles included. The API
 * answers this only to a merchandiser or service key (401 or 403 otherwise).
 */
export function listCatalog(
  query: Omit<BrowseQuery, "include_unavailable">,
  apiKey: string,
): Promise<BrowseResult> {
  return apiFetch<BrowseResult>("/articles", {
    query: { ...query, include_unavailable: true },
    apiKey,
  });
}

/**
 * Changes some of an article's fields (price, stock, visibility …). The API applies it before it
 * answers; a bad value is an `ApiError` 422 whose `errors` name the field, an unknown article a
 * 404.
 */
export function patchArticle(
  articleId: string,
  patch: ArticlePatch,
  apiKey: string,
): Promise<CatalogChange> {
  return apiFetch<CatalogChange>(`/admin/articles/${encodeURIComponent(articleId)}`, {
    method: "PATCH",
    json: patch,
    apiKey,
  });
}
