"use client";

import { ShoppingBagIcon } from "lucide-react";
import Link from "next/link";
import { startTransition, useActionState, useState } from "react";

import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { type ShopInput, type ShopState, shop } from "@/lib/actions/events";
import type { FromList } from "@/lib/ids";
import { newEventId } from "@/lib/events";

const INITIAL: ShopState = { status: "idle", type: null, message: "" };

/**
 * "Add to bag" and, in the demo sign-in only, "Buy now": each click is one event with an id of
 * its own, confirmed below the buttons. For a signed-in shopper (`SignInToShop` otherwise).
 * An article out of stock or not available keeps the buttons, disabled.
 */
export function ProductActions({
  articleId,
  canBuy,
  available = true,
  from = null,
}: {
  articleId: string;
  canBuy: boolean;
  available?: boolean;
  /** The list the product was opened from: the bag and the purchase say so too. */
  from?: FromList | null;
}) {
  const [state, dispatch, pending] = useActionState(shop, INITIAL);
  const [busy, setBusy] = useState<ShopInput["type"] | null>(null);

  const act = (type: ShopInput["type"]) => {
    setBusy(type);
    startTransition(() => dispatch({ type, articleId, eventId: newEventId(), from }));
  };
  return (
    <div className="flex flex-col gap-3" data-testid="product-actions">
      <div className="flex flex-wrap gap-3">
        <Button
          onClick={() => act("add_to_cart")}
          disabled={pending || !available}
          data-testid="add-to-bag"
          className="flex-1 sm:min-w-40 sm:flex-none"
        >
          <ShoppingBagIcon aria-hidden="true" />
          {pending && busy === "add_to_cart" ? "Adding…" : "Add to bag"}
        </Button>
        {canBuy ? (
          <Button
            variant="outline"
            onClick={() => act("purchase")}
            disabled={pending || !available}
            data-testid="buy-now"
            className="flex-1 sm:min-w-40 sm:flex-none"
          >
            {pending && busy === "purchase" ? "Buying…" : "Buy now"}
          </Button>
        ) : null}
      </div>
      {canBuy && available ? (
        <p className="text-xs text-stone-600">
          A demo shop: Buy now places the order at once, with no payment.
        </p>
      ) : null}
      <div role="status" aria-live="polite" data-testid="shop-status">
        {state.status === "done" ? (
          <Notice variant="success">
            {state.message}{" "}
            {state.type === "purchase" ? (
              <Link href="/" className="font-medium underline underline-offset-4">
                See your picks
              </Link>
            ) : null}
          </Notice>
        ) : null}
        {state.status === "error" ? <Notice variant="error">{state.message}</Notice> : null}
      </div>
    </div>
  );
}
