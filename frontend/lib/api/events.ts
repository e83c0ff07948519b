import { apiFetch } from "@/lib/api/client";
import type { EventIn, EventsAccepted } from "@/lib/api/types";

/**
 * Logs a batch of the signed-in shopper's events (view, add_to_cart, purchase); the API takes a
 * token's own customer's events only. A retry with the same `event_id`s counts as duplicates,
 * never twice, so a failed call may be sent again as it was.
 */
export function postEvents(token: string, events: EventIn[]): Promise<EventsAccepted> {
  return apiFetch<EventsAccepted>("/events", { json: { events }, token });
}
