import { ArticleEditor } from "@/components/catalog/article-editor";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { listCatalog } from "@/lib/api/admin";
import { getArticle } from "@/lib/api/catalog";
import { ApiError } from "@/lib/api/errors";
import type { Article } from "@/lib/api/types";
import type { CatalogLookup } from "@/lib/catalog";

const LIMIT = 24;

interface Found {
  items: Article[];
  total: number;
  title: string;
}

async function find(lookup: CatalogLookup, apiKey: string): Promise<Found> {
  if (lookup.kind === "id") {
    try {
      // Answers for an article out of stock or hidden too.
      const article = await getArticle(lookup.id);
      return { items: [article], total: 1, title: `Article ${lookup.id}` };
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) {
        return { items: [], total: 0, title: `Article ${lookup.id}` };
      }
      throw err;
    }
  }
  const query =
    lookup.kind === "text"
      ? { q: lookup.q, limit: LIMIT }
      : { sort: "newest" as const, limit: LIMIT };
  const list = await listCatalog(query, apiKey);
  const title = lookup.kind === "text" ? `“${lookup.q}”` : "Newest articles";
  return { items: list.items, total: list.total, title };
}

/** The articles a lookup finds, out of stock and hidden ones included, each with its editor. */
export async function CatalogResults({
  lookup,
  apiKey,
}: {
  lookup: CatalogLookup;
  apiKey: string;
}) {
  let found: Found;
  try {
    found = await find(lookup, apiKey);
  } catch (err) {
    if (err instanceof ApiError && err.isAuth) {
      return (
        <Notice variant="error" data-testid="key-refused">
          The API refused your key ({err.detail}): it may have been revoked. Sign out and sign in
          again with a live merchandiser or admin key.
        </Notice>
      );
    }
    throw err;
  }
  return (
    <section aria-labelledby="catalog-results-title">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="catalog-results-title" className="text-xl font-semibold tracking-tight">
          {found.title}
        </h2>
        <p className="text-sm text-stone-600" data-testid="catalog-total">
          {found.total > found.items.length
            ? `${found.items.length} of ${found.total} articles: add words to narrow it down`
            : `${found.total} ${found.total === 1 ? "article" : "articles"}`}
        </p>
      </div>
      {found.items.length > 0 ? (
        <ul aria-label="Articles" className="mt-4 border-t border-stone-200">
          {found.items.map((a) => (
            <ArticleEditor key={a.article_id} article={a} />
          ))}
        </ul>
      ) : (
        <EmptyState title="No article found">
          {lookup.kind === "id"
            ? "No article has this id. Check the number, or search by words."
            : "Try other words, or an article id."}
        </EmptyState>
      )}
    </section>
  );
}
