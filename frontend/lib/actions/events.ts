"use server";

import { revalidatePath } from "next/cache";

import { ApiError } from "@/lib/api/client";
import { getPreferences } from "@/lib/api/customers";
import { userMessage } from "@/lib/api/errors";
import { type EventSender, postEvents } from "@/lib/api/events";
import type { EventIn, EventType } from "@/lib/api/types";
import { isEventId } from "@/lib/events";
import { type FromList, isArticleId, isPosition, isRecId } from "@/lib/ids";
import { serviceKey } from "@/lib/service";
import { getSession, isDemoSession, type Session } from "@/lib/session";

/** What the product page's buttons ask for; the customer is the session's, never the browser's. */
export interface ShopInput {
  type: Exclude<EventType, "view">;
  articleId: string;
  eventId: string;
  /** The list the product was opened from (attribution), if any. */
  from?: FromList | null;
}

export interface ShopState {
  status: "idle" | "done" | "error";
  type: ShopInput["type"] | null;
  message: string;
}

/** Once more on a transient failure (unreachable is a 503 too). */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ApiError && err.isTransient)) throw err;
    await new Promise((r) => setTimeout(r, 300));
    return call();
  }
}

/** The event's list, when the browser's claim of it is well formed (the API checks it). */
function attributed(from: unknown): Pick<EventIn, "rec_id" | "position"> {
  if (typeof from !== "object" || from === null) return {};
  const { recId, position } = from as Record<string, unknown>;
  return isRecId(recId) && isPosition(position) ? { rec_id: recId, position } : {};
}

/**
 * Posts the session's customer's event; the same `event_id` makes a retry safe. A list id the
 * API refuses (a link from another shop, an altered one) does not cost the event: it is sent
 * again without it, as organic.
 */
async function send(
  sender: EventSender,
  session: Session,
  event: Omit<EventIn, "customer_id">,
): Promise<void> {
  const post = (e: Omit<EventIn, "customer_id">) =>
    retried(() => postEvents(sender, [{ ...e, customer_id: session.customerId }]));
  try {
    await post(event);
  } catch (err) {
    const listRefused =
      err instanceof ApiError &&
      err.kind === "invalid-input" &&
      err.errors.length > 0 &&
      err.errors.every((e) => /\.(rec_id|position)$/.test(e.field));
    if (!listRefused || event.rec_id == null) throw err;
    const { rec_id: _r, position: _p, ...organic } = event;
    await post(organic);
  }
}

const KEY_MISSING =
  "Buying needs the shop's service key: set LOOKBOOK_SERVICE_KEY on the storefront's server.";

/**
 * A purchase, posted by this server with its service key (the API takes no purchase from a
 * shopper's token). The cookie naming the customer proves nothing on its own, so the session is
 * checked with the API first: its token must be valid and the customer's own (an owner-only
 * read). Answers what to tell the shopper when it failed, else null.
 */
async function buy(session: Session, event: Omit<EventIn, "customer_id">): Promise<string | null> {
  const apiKey = serviceKey();
  if (!apiKey) return KEY_MISSING;
  try {
    await retried(() => getPreferences(session.customerId, session.token));
  } catch (err) {
    return userMessage(err);
  }
  try {
    await send({ apiKey }, session, event);
  } catch (err) {
    if (err instanceof ApiError && err.isAuth) {
      return `The API refused the storefront's service key: ${err.detail}.`;
    }
    return userMessage(err);
  }
  return null;
}

// A server action's arguments come from the browser as they are: checked before use.
function isArticle(value: unknown): value is string {
  return typeof value === "string" && isArticleId(value);
}

/**
 * The shopper opened a product page. Best effort: signed out, or the API unreachable, it is
 * dropped without a word, since a lost view must not get in the way of shopping.
 */
export async function recordView(
  articleId: unknown,
  eventId: unknown,
  from: unknown = null,
): Promise<void> {
  const session = await getSession();
  if (!session || !isArticle(articleId) || !isEventId(eventId)) return;
  try {
    const view = {
      event_id: eventId,
      type: "view" as const,
      article_id: articleId,
      ...attributed(from),
    };
    await send({ token: session.token }, session, view);
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
  const event = {
    event_id: input.eventId,
    type,
    article_id: input.articleId,
    ...attributed(input.from),
  };
  if (type === "purchase") {
    const refused = await buy(session, event);
    if (refused) return failed(refused);
  } else {
    try {
      await send({ token: session.token }, session, event);
    } catch (err) {
      return failed(userMessage(err));
    }
  }
  // Home's feed, recently viewed and buy again reflect it on the next visit, Back included.
  revalidatePath("/", "layout");
  return { status: "done", type, message: DONE[type] };
}
