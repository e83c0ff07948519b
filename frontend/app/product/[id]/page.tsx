import type { Metadata } from "next";

import { Section } from "@/components/home/section";
import { ProductActions } from "@/components/product/product-actions";
import { ProductDetail } from "@/components/product/product-detail";
import { ProductGrid } from "@/components/product/product-grid";
import { SignInToShop } from "@/components/product/sign-in-to-shop";
import { ViewTracker } from "@/components/product/view-tracker";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { getSimilar } from "@/lib/api/catalog";
import { userMessage } from "@/lib/api/errors";
import type { ArticleList } from "@/lib/api/types";
import { availability } from "@/lib/catalog";
import { loadArticle } from "@/lib/product";
import { serviceKey } from "@/lib/service";
import { getSession, isDemoSession } from "@/lib/session";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const article = await loadArticle((await params).id);
  return { title: article.prod_name, description: article.detail_desc };
}

function Related({
  id,
  title,
  result,
}: {
  id: string;
  title: string;
  result: PromiseSettledResult<ArticleList>;
}) {
  return (
    <Section id={id} title={title}>
      {result.status === "rejected" ? (
        <Notice variant="error">{userMessage(result.reason)}</Notice>
      ) : result.value.items.length > 0 ? (
        <ProductGrid items={result.value.items} reasons label={title} priorityCount={0} />
      ) : (
        <EmptyState title="Nothing to show here yet" />
      )}
    </Section>
  );
}

export default async function ProductPage({ params }: Props) {
  const { id } = await params;
  const [article, session] = await Promise.all([loadArticle(id), getSession()]);
  const [similar, look] = await Promise.allSettled([
    // A few extra: the article's own colourways are dropped (they are the swatches above).
    getSimilar(id, { limit: 12 }).then((list) => ({
      ...list,
      items: list.items.filter((i) => i.product_code !== article.product_code).slice(0, 8),
    })),
    getSimilar(id, { limit: 4, other_groups: true }),
  ]);
  const available = availability(article) === "available";
  return (
    <>
      <ProductDetail
        article={article}
        actions={
          session ? (
            // Keyed: another product's page starts with no confirmation from this one.
            <ProductActions
              key={article.article_id}
              articleId={article.article_id}
              // Buy now is the demo's stand-in for a checkout: the server posts the purchase.
              canBuy={isDemoSession(session) && serviceKey() !== null}
              available={available}
            />
          ) : available ? (
            <SignInToShop />
          ) : null
        }
      />
      {session ? <ViewTracker articleId={article.article_id} /> : null}
      <Related id="similar" title="Similar items" result={similar} />
      <Related id="complete-the-look" title="Complete the look" result={look} />
    </>
  );
}
