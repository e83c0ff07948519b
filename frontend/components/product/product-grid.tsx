import { Reveal } from "@/components/motion/reveal";
import { ProductCard } from "@/components/product/product-card";
import type { AnyItem } from "@/lib/api/types";
import { cn } from "@/lib/utils";

/** A responsive grid: two columns on a phone, up to four on a wide screen. */
export function ProductGrid({
  items,
  reasons = false,
  priorityCount = 4,
  className,
  label,
  recId,
  positions,
  firstPosition = 1,
}: {
  items: AnyItem[];
  /** Show each ranked item's `reason` line. */
  reasons?: boolean;
  /** How many of the first images load eagerly (those above the fold). */
  priorityCount?: number;
  className?: string;
  label?: string;
  /** The list's `rec_id`: each product link carries it and the item's position. */
  recId?: string | null;
  /** Each item's position in the list as served (when some were left out here). */
  positions?: number[];
  /** The position of the first item (a later page of the list). */
  firstPosition?: number;
}) {
  return (
    <ul
      aria-label={label}
      data-testid="product-grid"
      className={cn(
        "grid grid-cols-2 gap-x-3 gap-y-8 sm:gap-x-5 md:grid-cols-3 xl:grid-cols-4",
        className,
      )}
    >
      {items.map((item, i) => (
        <li key={item.article_id}>
          <Reveal index={i}>
            <ProductCard
              item={item}
              priority={i < priorityCount}
              reason={reasons && "reason" in item ? item.reason : undefined}
              href={
                recId
                  ? `/product/${item.article_id}?rec=${encodeURIComponent(recId)}&pos=${
                      positions?.[i] ?? firstPosition + i
                    }`
                  : undefined
              }
            />
          </Reveal>
        </li>
      ))}
    </ul>
  );
}
