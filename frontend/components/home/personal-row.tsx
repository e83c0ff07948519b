import { Section } from "@/components/home/section";
import { ProductGrid } from "@/components/product/product-grid";
import { Notice } from "@/components/ui/notice";
import { ApiError } from "@/lib/api/client";
import { userMessage } from "@/lib/api/errors";
import type { ArticleList } from "@/lib/api/types";

/**
 * A short personal row of Home (recently viewed, buy it again): one line of cards, left out
 * when it has nothing to show. A signed-out or expired session leaves it out too, since the
 * "For you" feed above already says so.
 */
export function PersonalRow({
  id,
  title,
  subtitle,
  result,
}: {
  id: string;
  title: string;
  subtitle: string;
  result: PromiseSettledResult<ArticleList | null>;
}) {
  if (result.status === "rejected") {
    if (result.reason instanceof ApiError && result.reason.isAuth) return null;
    return (
      <Section id={id} title={title} subtitle={subtitle}>
        <Notice variant="error">{userMessage(result.reason)}</Notice>
      </Section>
    );
  }
  if (!result.value || result.value.items.length === 0) return null;
  return (
    <Section id={id} title={title} subtitle={subtitle}>
      <ProductGrid
        items={result.value.items}
        reasons
        label={title}
        priorityCount={0}
        className="md:grid-cols-4 xl:grid-cols-4"
        recId={result.value.rec_id}
      />
    </Section>
  );
}
