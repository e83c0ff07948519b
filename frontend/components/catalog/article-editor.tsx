"use client";

import Link from "next/link";
import { useActionState, useState } from "react";

import { ColourDot } from "@/components/product/colour-dot";
import { Price } from "@/components/product/price";
import { ProductImage } from "@/components/product/product-image";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Notice } from "@/components/ui/notice";
import { editArticle, type EditState } from "@/lib/actions/catalog";
import type { Article } from "@/lib/api/types";
import { cn } from "@/lib/utils";

const INITIAL: EditState = { status: "idle", message: "", field: null, applied: {} };

function Flag({ on, yes, no, testId }: { on: boolean; yes: string; no: string; testId: string }) {
  return (
    <span
      data-testid={testId}
      data-on={on}
      className={cn(
        "inline-flex items-center gap-1.5 text-xs font-medium",
        on ? "text-emerald-800" : "text-sale",
      )}
    >
      <span
        aria-hidden="true"
        className={cn("size-2 rounded-full", on ? "bg-emerald-700" : "bg-sale")}
      />
      {on ? yes : no}
    </span>
  );
}

/**
 * One article on the merchandiser catalog page: what the shop shows of it, and forms to change
 * its price, stock and visibility. Each button sends one change (the server action holds the
 * key); the values shown are the API's once it has answered.
 */
export function ArticleEditor({ article }: { article: Article }) {
  const [state, dispatch, pending] = useActionState(editArticle, INITIAL);
  const [busy, setBusy] = useState<string | null>(null);
  // What the change just made set, until the page's own data says the same.
  const shown = { ...article, ...state.applied };
  const [price, setPrice] = useState(shown.price.toFixed(2));
  const [seenPrice, setSeenPrice] = useState(shown.price);
  if (seenPrice !== shown.price) {
    setSeenPrice(shown.price);
    setPrice(shown.price.toFixed(2));
  }
  const id = article.article_id;
  const priceError = state.status === "error" && state.field === "price" ? state.message : null;
  const formError = state.status === "error" && state.field !== "price" ? state.message : null;
  const button = (intent: string, label: string, working: string) => (
    <Button
      type="submit"
      name="intent"
      value={intent}
      variant={intent === "price" ? "default" : "outline"}
      size="sm"
      disabled={pending}
      onClick={() => setBusy(intent)}
      data-testid={`edit-${intent.split(":")[0]}`}
      className="h-11"
    >
      {pending && busy === intent ? working : label}
    </Button>
  );
  return (
    <li
      data-testid="catalog-article"
      data-article-id={id}
      data-in-stock={shown.in_stock}
      data-hidden={shown.hidden}
      className="grid grid-cols-[4rem_minmax(0,1fr)] gap-x-4 gap-y-4 border-b border-stone-200 py-5 sm:grid-cols-[5rem_minmax(0,1fr)] lg:grid-cols-[5rem_minmax(0,1fr)_minmax(0,36rem)]"
    >
      <div className={cn("w-16 sm:w-20", (!shown.in_stock || shown.hidden) && "opacity-60")}>
        <ProductImage imageUrl={article.image_url} alt="" />
      </div>
      <div className="flex min-w-0 flex-col gap-1 text-sm">
        <p className="text-xs text-stone-600 tabular-nums">{id}</p>
        <h3 className="font-medium">
          <Link href={`/product/${id}`} className="hover:underline" data-testid="shop-link">
            {article.prod_name}
          </Link>
        </h3>
        <p className="flex flex-wrap items-center gap-x-2 text-xs text-stone-600">
          <span>{article.product_type_name}</span>
          <span className="flex items-center gap-1">
            <ColourDot name={article.colour_group_name} /> {article.colour_group_name}
          </span>
          <span>{article.index_group_name}</span>
        </p>
        <p className="mt-1 flex flex-wrap items-center gap-x-4 gap-y-1">
          <Price amount={shown.price} currency={article.currency} className="font-semibold" />
          <Flag on={shown.in_stock} yes="In stock" no="Out of stock" testId="stock-flag" />
          <Flag on={!shown.hidden} yes="Shown in shop" no="Hidden" testId="visibility-flag" />
        </p>
      </div>
      <form
        action={dispatch}
        aria-label={`Change ${article.prod_name} (${id})`}
        className="col-span-2 flex flex-col gap-3 lg:col-span-1"
      >
        <input type="hidden" name="article_id" value={id} />
        <input type="hidden" name="currency" value={article.currency} />
        <div className="flex flex-wrap items-start gap-x-4 gap-y-3">
          <div className="flex flex-col gap-1">
            <Label htmlFor={`price-${id}`} className="text-xs text-stone-700">
              Price ({article.currency})
            </Label>
            <div className="flex gap-2">
              <Input
                id={`price-${id}`}
                name="price"
                inputMode="decimal"
                autoComplete="off"
                value={price}
                onChange={(e) => setPrice(e.target.value)}
                aria-invalid={priceError ? true : undefined}
                aria-describedby={priceError ? `price-${id}-error` : undefined}
                data-testid="price-input"
                className="w-28 tabular-nums"
              />
              {button("price", "Save price", "Saving…")}
            </div>
            {priceError ? (
              <p
                id={`price-${id}-error`}
                className="w-0 min-w-full text-xs text-sale"
                data-testid="price-error"
              >
                {priceError}
              </p>
            ) : null}
          </div>
          {/* Level with the price field beside it; on a phone, a line of their own. */}
          <div className="flex gap-2 sm:mt-5">
            {button(
              `in_stock:${!shown.in_stock}`,
              shown.in_stock ? "Mark out of stock" : "Mark in stock",
              "Saving…",
            )}
            {button(
              `hidden:${!shown.hidden}`,
              shown.hidden ? "Show in shop" : "Hide from shop",
              "Saving…",
            )}
          </div>
        </div>
        <div role="status" aria-live="polite" data-testid="edit-status">
          {state.status === "done" ? (
            <Notice variant="success" className="py-2">
              {state.message}{" "}
              <Link href={`/product/${id}`} className="font-medium underline underline-offset-4">
                See it in the shop
              </Link>
            </Notice>
          ) : null}
          {formError ? (
            <Notice variant="error" className="py-2">
              {formError}
            </Notice>
          ) : null}
        </div>
      </form>
    </li>
  );
}
