import Link from "next/link";

import { AvailabilityBadge } from "@/components/product/availability-badge";
import { ColourDot } from "@/components/product/colour-dot";
import { Price } from "@/components/product/price";
import { ProductImage } from "@/components/product/product-image";
import type { AnyItem } from "@/lib/api/types";
import { availability } from "@/lib/catalog";
import { cn } from "@/lib/utils";

/** One product in a grid: photo first, then name, price and colour, and why it is shown. */
export function ProductCard({
  item,
  reason,
  priority = false,
  href,
}: {
  item: AnyItem;
  reason?: string;
  priority?: boolean;
  /** The product's link (default: its page), e.g. carrying the list it was shown in. */
  href?: string;
}) {
  const others = item.colourways - 1;
  // Shopper lists leave such articles out; a card may still show one (a merchandiser's list).
  const state = availability(item);
  return (
    <article
      data-testid="product-card"
      data-article-id={item.article_id}
      data-colour={item.colour_group_name}
      data-group={item.product_group_name}
      data-price={item.price.toFixed(2)}
      data-availability={state}
      className="group relative flex flex-col"
    >
      <div className="relative overflow-hidden bg-photo">
        <ProductImage
          imageUrl={item.image_url}
          alt=""
          priority={priority}
          sizes="(min-width: 1280px) 22vw, (min-width: 768px) 30vw, 48vw"
          className={cn(
            "transition-transform duration-500 ease-out group-hover:scale-[1.03]",
            state !== "available" && "opacity-60",
          )}
        />
        <AvailabilityBadge article={item} className="absolute top-2 left-2" />
      </div>
      <div className="mt-3 flex flex-col gap-1 text-sm">
        <h3 className="leading-snug">
          <Link
            href={href ?? `/product/${item.article_id}`}
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
