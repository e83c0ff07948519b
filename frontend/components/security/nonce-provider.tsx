"use client";

import { setNonce } from "get-nonce";
import { createContext, useContext } from "react";

const NonceContext = createContext<string | undefined>(undefined);

/**
 * The response's CSP nonce for client code that writes `<style>` elements, which the policy
 * allows only with the nonce: Radix Select's viewport, Framer Motion, and react-remove-scroll
 * (open selects and dialogs lock the page's scroll), which reads it through `get-nonce`.
 */
export function NonceProvider({
  nonce,
  children,
}: {
  nonce: string | undefined;
  children: React.ReactNode;
}) {
  // Only in the browser: on the server the module is shared by concurrent requests.
  if (typeof window !== "undefined" && nonce) setNonce(nonce);
  return <NonceContext value={nonce}>{children}</NonceContext>;
}

export function useNonce(): string | undefined {
  return useContext(NonceContext);
}
