"use client";

import { useEffect, useRef } from "react";

import { recordView } from "@/lib/actions/events";
import { newEventId } from "@/lib/events";
import type { FromList } from "@/lib/ids";

/**
 * Logs one `view` per opening of a product page: the ref keeps re-renders (and React's
 * development double effects) from posting it again, while opening another product does.
 */
export function ViewTracker({
  articleId,
  from = null,
}: {
  articleId: string;
  /** The list the product was opened from (its rec_id and the position there). */
  from?: FromList | null;
}) {
  const sent = useRef<string | null>(null);
  useEffect(() => {
    if (sent.current === articleId) return;
    sent.current = articleId;
    recordView(articleId, newEventId(), from).catch(() => {
      // best effort: a lost view is not worth a word to the shopper
    });
  }, [articleId, from]);
  return null;
}
