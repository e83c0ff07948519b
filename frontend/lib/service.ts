import "server-only";

/**
 * The service key the storefront's server posts purchases with (`LOOKBOOK_SERVICE_KEY`), or
 * null when none is configured: the API takes purchases only from a service key, never from a
 * shopper's token. Read per request on the server only: it is never rendered, never put in a
 * server action's arguments, and never reaches the browser.
 */
export function serviceKey(): string | null {
  const key = process.env.LOOKBOOK_SERVICE_KEY?.trim();
  return key ? key : null;
}
