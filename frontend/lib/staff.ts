import "server-only";

/**
 * The merchandiser key the catalog tools act with (`LOOKBOOK_MERCHANDISER_KEY`), or null when
 * none is configured. Read per request on the server only: it is never rendered, never put in
 * a server action's arguments, and never reaches the browser.
 */
export function merchandiserKey(): string | null {
  const key = process.env.LOOKBOOK_MERCHANDISER_KEY?.trim();
  return key ? key : null;
}
