import "server-only";

import { notFound } from "next/navigation";
import { cache } from "react";

import { ApiError } from "@/lib/api/client";
import { getArticle } from "@/lib/api/catalog";
import type { ArticleDetail } from "@/lib/api/types";
import { isArticleId } from "@/lib/ids";

/** One article per request, shared by the layout, the metadata and the page; 404 if unknown. */
export const loadArticle = cache(async (id: string): Promise<ArticleDetail> => {
  if (!isArticleId(id)) notFound();
  try {
    return await getArticle(id);
  } catch (err) {
    if (err instanceof ApiError && err.isNotFound) notFound();
    throw err;
  }
});
