"use client";

import { MotionConfig } from "framer-motion";

import { useNonce } from "@/components/security/nonce-provider";

/** Motion follows the visitor's reduced-motion setting everywhere; its styles carry the nonce. */
export function MotionProvider({ children }: { children: React.ReactNode }) {
  return (
    <MotionConfig reducedMotion="user" nonce={useNonce()}>
      {children}
    </MotionConfig>
  );
}
