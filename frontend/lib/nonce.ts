import "server-only";

import { headers } from "next/headers";

/** This request's CSP nonce, as proxy.ts put it on the request (none where it did not run). */
export async function requestNonce(): Promise<string | undefined> {
  return (await headers()).get("x-nonce") ?? undefined;
}
