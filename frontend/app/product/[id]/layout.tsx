import { loadArticle } from "@/lib/product";

/**
 * Looks the article up before the page's loading skeleton starts the response, so an unknown
 * article gets a real 404 status (once streaming starts the status is fixed at 200).
 */
export default async function ProductLayout({
  params,
  children,
}: {
  params: Promise<{ id: string }>;
  children: React.ReactNode;
}) {
  await loadArticle((await params).id);
  return children;
}
