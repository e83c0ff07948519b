import Link from "next/link";

import { ColourDot } from "@/components/product/colour-dot";
import { Price } from "@/components/product/price";
import { ProductImage } from "@/components/product/product-image";
import type { AnyItem } from "@/lib/api/types";

/** One product in a grid: photo first, then name, price and colour, and why it is shown. */
export function ProductCard({
  item,
  reason,
  priority = false,
}: {
  item: AnyItem;
  reason?: string;
  priority?: boolean;
}) {
  const others = item.colourways - 1;
  return (
    <article
      data-testid="product-card"
      data-article-id={item.article_id}
      data-colour={item.colour_group_name}
      data-group={item.product_group_name}
      data-price={item.price.toFixed(2)}
      className="group relative flex flex-col"
    >
      <div className="overflow-hidden bg-photo">
        <ProductImage
          imageUrl={item.image_url}
          alt=""
          priority={priority}
          sizes="(min-width: 1280px) 22vw, (min-width: 768px) 30vw, 48vw"
          className="transition-transform duration-500 ease-out group-hover:scale-[1.03]"
        />
      </div>
      <div className="mt-3 flex flex-col gap-1 text-sm">
        <h3 className="leading-snug">
          <Link
            href={`/product/${item.article_id}`}
            className="outline-none after:absolute after:inset-0 hover:underline focus-visible:underline"
          >
            {item.prod_name}
          </Link>
        </h3>
        <Price amount={item.price} currency={item.currency} className="font-semibold" />
        <p className="flex items-center gap-1.5 text-xs text-stone-600">
          <ColourDot name={item.colour_group_name} />
          <span data-testid="card-colour">{item.colour_group_name}</span>
          {others > 0 ? (
            <span className="text-stone-500">
              · {others} more {others === 1 ? "colour" : "colours"}
            </span>
          ) : null}
        </p>
        {reason ? (
          <p data-testid="card-reason" className="text-xs text-stone-600 italic">
            {reason}
          </p>
        ) : null}
      </div>
    </article>
  );
}
