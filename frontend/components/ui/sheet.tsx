"use client";

import * as DialogPrimitive from "@radix-ui/react-dialog";
import { AnimatePresence, motion } from "framer-motion";
import { XIcon } from "lucide-react";
import type * as React from "react";

import { cn } from "@/lib/utils";

const Sheet = DialogPrimitive.Root;
const SheetTrigger = DialogPrimitive.Trigger;
const SheetClose = DialogPrimitive.Close;

/**
 * A drawer from the left edge. `open` is passed in so Framer Motion can animate the exit
 * (Radix would unmount at once); MotionConfig turns the slide off for reduced motion.
 */
function SheetContent({
  open,
  title,
  className,
  children,
  ...props
}: React.ComponentProps<typeof DialogPrimitive.Content> & { open: boolean; title: string }) {
  return (
    <AnimatePresence>
      {open ? (
        <DialogPrimitive.Portal forceMount>
          <DialogPrimitive.Overlay asChild forceMount>
            <motion.div
              className="fixed inset-0 z-50 bg-black/40"
              initial={{ opacity: 0 }}
              animate={{ opacity: 1 }}
              exit={{ opacity: 0 }}
            />
          </DialogPrimitive.Overlay>
          <DialogPrimitive.Content asChild forceMount {...props}>
            <motion.div
              data-slot="sheet-content"
              className={cn(
                "fixed inset-y-0 left-0 z-50 flex w-[88vw] max-w-sm flex-col bg-white shadow-xl outline-none",
                className,
              )}
              initial={{ x: "-100%" }}
              animate={{ x: 0 }}
              exit={{ x: "-100%" }}
              transition={{ type: "tween", duration: 0.25, ease: "easeOut" }}
            >
              <div className="flex items-center justify-between border-b border-stone-200 px-5 py-4">
                <DialogPrimitive.Title className="text-sm font-semibold uppercase tracking-wider">
                  {title}
                </DialogPrimitive.Title>
                <DialogPrimitive.Close
                  className="-mr-2 p-2 outline-none focus-visible:ring-2 focus-visible:ring-ink"
                  aria-label="Close"
                >
                  <XIcon className="size-5" aria-hidden="true" />
                </DialogPrimitive.Close>
              </div>
              <DialogPrimitive.Description className="sr-only">{title}</DialogPrimitive.Description>
              <div className="flex-1 overflow-y-auto px-5 py-4">{children}</div>
            </motion.div>
          </DialogPrimitive.Content>
        </DialogPrimitive.Portal>
      ) : null}
    </AnimatePresence>
  );
}

export { Sheet, SheetClose, SheetContent, SheetTrigger };
