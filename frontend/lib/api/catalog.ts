import { apiFetch } from "@/lib/api/client";
import type {
  ArticleDetail,
  ArticleList,
  BrowseQuery,
  BrowseResult,
  FeedQuery,
  Ready,
  SearchQuery,
  SimilarQuery,
  TrendingQuery,
} from "@/lib/api/types";
import type { Session } from "@/lib/session";

/** Readiness: the loaded index version and counts. */
export function getReady(): Promise<Ready> {
  return apiFetch<Ready>("/ready");
}

/** One page of the catalog with facets and the price range (Explore). */
export function listArticles(query: BrowseQuery): Promise<BrowseResult> {
  return apiFetch<BrowseResult>("/articles", { query });
}

/** One article with its other colourways; throws ApiError 404 for an unknown id. */
export function getArticle(articleId: string): Promise<ArticleDetail> {
  return apiFetch<ArticleDetail>(`/articles/${encodeURIComponent(articleId)}`);
}

/** Similar items; `other_groups: true` gives "complete the look". */
export function getSimilar(articleId: string, query: SimilarQuery = {}): Promise<ArticleList> {
  return apiFetch<ArticleList>(`/articles/${encodeURIComponent(articleId)}/similar`, { query });
}

/**
 * The personal feed of the signed-in customer, with a reason per item. The API answers only to
 * the customer's own bearer token (401 without one, 403 with another customer's), so it takes
 * the server-side session, never an id alone.
 */
export function getFeed(session: Session, query: FeedQuery = {}): Promise<ArticleList> {
  return apiFetch<ArticleList>(`/recommendations/${encodeURIComponent(session.customerId)}`, {
    query,
    token: session.token,
  });
}

/** Top sellers of the last 7 (or 30) days. */
export function getTrending(query: TrendingQuery = {}): Promise<ArticleList> {
  return apiFetch<ArticleList>("/trending", { query });
}

/** Merchandiser text search with score parts; the token adds the customer's cf affinity. */
export function searchText(query: SearchQuery, token?: string): Promise<ArticleList> {
  return apiFetch<ArticleList>("/search", { query, token });
}

/** Search by an uploaded photo (JPEG or PNG, at most 5 MB). */
export function searchImage(
  file: Blob,
  query: Omit<SearchQuery, "q"> = {},
  token?: string,
): Promise<ArticleList> {
  const form = new FormData();
  form.append("file", file, file instanceof File ? file.name : "photo.jpg");
  return apiFetch<ArticleList>("/search/image", { method: "POST", form, query, token });
}
