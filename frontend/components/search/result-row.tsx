import Link from "next/link";

import { ColourDot } from "@/components/product/colour-dot";
import { Price } from "@/components/product/price";
import { ProductImage } from "@/components/product/product-image";
import { ScoreBars } from "@/components/search/score-bars";
import type { ListItem, Weights } from "@/lib/api/types";

/** One search hit for a merchandiser: what it is, and the scores that put it here. */
export function ResultRow({
  item,
  rank,
  weights,
}: {
  item: ListItem;
  rank: number;
  weights: Weights | null | undefined;
}) {
  return (
    <li
      data-testid="search-result"
      data-article-id={item.article_id}
      data-colour={item.colour_group_name}
      className="grid grid-cols-[4rem_1fr] gap-4 border-b border-stone-200 py-5 sm:grid-cols-[5rem_minmax(0,1fr)_minmax(0,18rem)]"
    >
      <div className="w-16 sm:w-20">
        <ProductImage imageUrl={item.image_url} alt="" priority={rank <= 4} />
      </div>
      <div className="flex min-w-0 flex-col gap-1 text-sm">
        <p className="text-xs text-stone-500 tabular-nums">
          #{rank} · {item.article_id}
        </p>
        <h3 className="font-medium">
          <Link href={`/product/${item.article_id}`} className="hover:underline">
            {item.prod_name}
          </Link>
        </h3>
        <p className="flex flex-wrap items-center gap-x-2 text-xs text-stone-600">
          <span>{item.product_type_name}</span>
          <span className="flex items-center gap-1">
            <ColourDot name={item.colour_group_name} /> {item.colour_group_name}
          </span>
          <span>{item.index_group_name}</span>
        </p>
        <Price amount={item.price} currency={item.currency} className="font-semibold" />
      </div>
      <div className="col-span-2 sm:col-span-1">
        <ScoreBars
          parts={item.parts ?? {}}
          score={item.score}
          boost={item.boost ?? 0}
          weights={weights}
          rules={item.rules ?? []}
        />
      </div>
    </li>
  );
}

export function ResultList({
  items,
  weights,
  label,
}: {
  items: ListItem[];
  weights: Weights | null | undefined;
  label: string;
}) {
  return (
    <ol aria-label={label} className="border-t border-stone-200" data-testid="search-results">
      {items.map((item, i) => (
        <ResultRow key={item.article_id} item={item} rank={i + 1} weights={weights} />
      ))}
    </ol>
  );
}
