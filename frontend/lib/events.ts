/**
 * Ids of shopper events. The browser makes one per event and the server action sends it as
 * `event_id`, so a retried post is counted once by the API.
 */

/** The API's `event_id`: 1–64 of letters, digits and `_ . : -`. */
const EVENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export function isEventId(text: unknown): text is string {
  return typeof text === "string" && EVENT_ID.test(text);
}

type RandomSource = Pick<Crypto, "getRandomValues"> & Partial<Pick<Crypto, "randomUUID">>;

/**
 * A random version 4 UUID. `crypto.randomUUID` exists only in secure contexts (https or
 * localhost), so a shop served over plain http on a LAN falls back to `getRandomValues`.
 */
export function newEventId(source: RandomSource = crypto): string {
  if (typeof source.randomUUID === "function") return source.randomUUID();
  const bytes = Array.from(source.getRandomValues(new Uint8Array(16)), (b, i) =>
    // The version (4) and the RFC 9562 variant bits.
    i === 6 ? (b & 0x0f) | 0x40 : i === 8 ? (b & 0x3f) | 0x80 : b,
  );
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  const part = (from: number, to?: number) => hex.slice(from, to);
  return [part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20)].join("-");
}
