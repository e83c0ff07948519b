"use client";

import { motion, useReducedMotion } from "framer-motion";
import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * True when this component was created in the browser, false while it is being hydrated from
 * server HTML (React uses the server snapshot during hydration).
 */
function useClientMount(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}

/**
 * Fades and lifts its children in, staggered by `index`, when they arrive in the browser (a new
 * page of results, a filter change). Server-rendered content never starts invisible: that would
 * hold back the first product image until scripts run. Off for reduced motion.
 */
export function Reveal({
  index = 0,
  className,
  children,
}: {
  index?: number;
  className?: string;
  children: React.ReactNode;
}) {
  const clientMount = useClientMount();
  const reduce = useReducedMotion();
  return (
    <motion.div
      className={className}
      initial={clientMount && !reduce ? { opacity: 0, y: 12 } : false}
      animate={{ opacity: 1, y: 0 }}
      transition={{ duration: 0.3, delay: Math.min(index, 12) * 0.03, ease: "easeOut" }}
    >
      {children}
    </motion.div>
  );
}
