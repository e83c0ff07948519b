import { apiFetch } from "@/lib/api/client";
import type { EventIn, EventsAccepted } from "@/lib/api/types";

/** Who posts: the signed-in shopper's token, or the storefront server's service key. */
export type EventSender = { token: string } | { apiKey: string };

/**
 * Logs a batch of events. A shopper's token posts that customer's views and add-to-carts only;
 * purchases go with the server's service key (`LOOKBOOK_SERVICE_KEY`). A retry with the same
 * `event_id`s counts as duplicates, never twice, so a failed call may be sent again as it was.
 */
export function postEvents(sender: EventSender, events: EventIn[]): Promise<EventsAccepted> {
  return apiFetch<EventsAccepted>("/events", { json: { events }, ...sender });
}
