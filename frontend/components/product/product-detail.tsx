import Link from "next/link";

import { Attributes } from "@/components/product/attributes";
import { AvailabilityBadge } from "@/components/product/availability-badge";
import { Colourways } from "@/components/product/colourways";
import { Price } from "@/components/product/price";
import { ProductImage } from "@/components/product/product-image";
import { Notice } from "@/components/ui/notice";
import type { ArticleDetail } from "@/lib/api/types";
import { availability } from "@/lib/catalog";

const UNAVAILABLE = {
  "out-of-stock": "This item is out of stock. Similar items are below.",
  hidden: "This item is not available in the shop. Similar items are below.",
} as const;

/** The top of a product page: the photo, and beside it what a shopper decides on. */
export function ProductDetail({
  article,
  actions,
}: {
  article: ArticleDetail;
  /** The buttons under the price (add to bag, buy now, or a way to sign in). */
  actions?: React.ReactNode;
}) {
  const group = `/explore?index_group=${encodeURIComponent(article.index_group_name)}`;
  const type = `/explore?category=${encodeURIComponent(article.product_type_name)}`;
  const state = availability(article);
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-6 sm:px-6 lg:px-10">
      <nav aria-label="Breadcrumb" className="text-xs text-stone-600">
        <ol className="flex flex-wrap gap-1">
          <li>
            <Link href="/" className="hover:underline">
              Home
            </Link>{" "}
            /
          </li>
          <li>
            <Link href={group} className="hover:underline">
              {article.index_group_name}
            </Link>{" "}
            /
          </li>
          <li>
            <Link href={type} className="hover:underline">
              {article.product_type_name}
            </Link>
          </li>
        </ol>
      </nav>
      <div className="mt-4 grid gap-8 md:grid-cols-[minmax(0,1.2fr)_minmax(0,1fr)] lg:gap-16">
        <div>
          <ProductImage
            imageUrl={article.image_url}
            alt={`${article.prod_name}, ${article.colour_group_name}`}
            priority
            sizes="(min-width: 768px) 36rem, 100vw"
            className="mx-auto max-w-xl"
          />
        </div>
        <div className="flex flex-col gap-6 md:pt-4">
          <div>
            <h1
              className="text-2xl font-semibold tracking-tight sm:text-3xl"
              data-testid="product-name"
            >
              {article.prod_name}
            </h1>
            <div className="mt-2 flex flex-wrap items-center gap-3">
              <Price amount={article.price} currency={article.currency} className="text-xl" />
              <AvailabilityBadge article={article} />
            </div>
            {state !== "available" ? (
              <Notice className="mt-4" data-testid="unavailable-notice">
                <a href="#similar" className="underline underline-offset-4">
                  {UNAVAILABLE[state]}
                </a>
              </Notice>
            ) : null}
            {article.sales_7d > 0 && state === "available" ? (
              <p className="mt-2 text-sm text-sale">Popular: {article.sales_7d} sold this week</p>
            ) : null}
          </div>
          {actions}
          <Colourways current={article} variants={article.variants} />
          {article.detail_desc ? (
            <p className="max-w-prose text-sm leading-relaxed text-stone-700">
              {article.detail_desc}
            </p>
          ) : null}
          <Attributes article={article} />
        </div>
      </div>
    </div>
  );
}
