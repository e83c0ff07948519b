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
import { fromList } from "@/lib/ids";
import { loadArticle } from "@/lib/product";
import { serviceKey } from "@/lib/service";
import { getSession, isDemoSession } from "@/lib/session";

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const article = await loadArticle((await params).id);
  return { title: article.prod_name, description: article.detail_desc };
}

type Positioned = ArticleList & { positions?: number[] };

function Related({
  id,
  title,
  result,
}: {
  id: string;
  title: string;
  result: PromiseSettledResult<Positioned>;
}) {
  return (
    <Section id={id} title={title}>
      {result.status === "rejected" ? (
        <Notice variant="error">{userMessage(result.reason)}</Notice>
      ) : result.value.items.length > 0 ? (
        <ProductGrid
          items={result.value.items}
          reasons
          label={title}
          priorityCount={0}
          recId={result.value.rec_id}
          positions={result.value.positions}
        />
      ) : (
        <EmptyState title="Nothing to show here yet" />
      )}
    </Section>
  );
}

export default async function ProductPage({ params, searchParams }: Props) {
  const { id } = await params;
  const { rec, pos } = await searchParams;
  // The list the product was opened from: its events say so (attribution).
  const from = fromList(rec, pos);
  const [article, session] = await Promise.all([loadArticle(id), getSession()]);
  const [similar, look] = await Promise.allSettled([
    // A few extra: the article's own colourways are dropped (they are the swatches above).
    getSimilar(id, { limit: 12 }).then((list): Positioned => {
      const kept = list.items
        .map((item, i) => ({ item, position: i + 1 }))
        .filter(({ item }) => item.product_code !== article.product_code)
        .slice(0, 8);
      return {
        ...list,
        items: kept.map((k) => k.item),
        positions: kept.map((k) => k.position),
      };
    }),
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
              from={from}
            />
          ) : available ? (
            <SignInToShop />
          ) : null
        }
      />
      {session ? <ViewTracker articleId={article.article_id} from={from} /> : null}
      <Related id="similar" title="Similar items" result={similar} />
      <Related id="complete-the-look" title="Complete the look" result={look} />
    </>
  );
}
