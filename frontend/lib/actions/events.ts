"use server";

import { revalidatePath } from "next/cache";

import { ApiError } from "@/lib/api/client";
import { userMessage } from "@/lib/api/errors";
import { postEvents } from "@/lib/api/events";
import type { EventIn, EventType } from "@/lib/api/types";
import { isEventId } from "@/lib/events";
import { isArticleId } from "@/lib/ids";
import { getSession, isDemoSession, type Session } from "@/lib/session";

/** What the product page's buttons ask for; the customer is the session's, never the browser's. */
export interface ShopInput {
  type: Exclude<EventType, "view">;
  articleId: string;
  eventId: string;
}

export interface ShopState {
  status: "idle" | "done" | "error";
  type: ShopInput["type"] | null;
  message: string;
}

/** One post, and once more on a transient failure: the same `event_id` makes that safe. */
async function send(session: Session, event: Omit<EventIn, "customer_id">): Promise<void> {
  const events = [{ ...event, customer_id: session.customerId }];
  try {
    await postEvents(session.token, events);
  } catch (err) {
    // Unreachable is a 503 too.
    if (!(err instanceof ApiError && err.isTransient)) throw err;
    await new Promise((r) => setTimeout(r, 300));
    await postEvents(session.token, events);
  }
}

// A server action's arguments come from the browser as they are: checked before use.
function isArticle(value: unknown): value is string {
  return typeof value === "string" && isArticleId(value);
}

/**
 * The shopper opened a product page. Best effort: signed out, or the API unreachable, it is
 * dropped without a word, since a lost view must not get in the way of shopping.
 */
export async function recordView(articleId: unknown, eventId: unknown): Promise<void> {
  const session = await getSession();
  if (!session || !isArticle(articleId) || !isEventId(eventId)) return;
  try {
    await send(session, { event_id: eventId, type: "view", article_id: articleId });
  } catch {
    // see above: nothing to tell the shopper
  }
}

const DONE: Record<ShopInput["type"], string> = {
  add_to_cart: "Added to your bag.",
  purchase: "Bought: thank you! Your picks on Home are updated.",
};

/** "Add to bag" or, in the demo only, "Buy now": logs the event; the feed changes at once. */
export async function shop(_prev: ShopState, input: ShopInput): Promise<ShopState> {
  const type = input?.type === "purchase" || input?.type === "add_to_cart" ? input.type : null;
  const failed = (message: string): ShopState => ({ status: "error", type, message });
  if (!type || !isArticle(input.articleId) || !isEventId(input.eventId)) {
    return failed("Something went wrong. Please reload the page and try again.");
  }
  const session = await getSession();
  if (!session) return failed("Please sign in to shop.");
  if (type === "purchase" && !isDemoSession(session)) {
    return failed("Buying goes through the checkout.");
  }
  try {
    await send(session, { event_id: input.eventId, type, article_id: input.articleId });
  } catch (err) {
    return failed(userMessage(err));
  }
  // Home's feed, recently viewed and buy again reflect it on the next visit, Back included.
  revalidatePath("/", "layout");
  return { status: "done", type, message: DONE[type] };
}
