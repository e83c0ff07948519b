import { cva, type VariantProps } from "class-variance-authority";
import type * as React from "react";

import { cn } from "@/lib/utils";

const noticeVariants = cva("px-5 py-4 text-sm", {
  variants: {
    variant: {
      default: "bg-canvas text-ink",
      error: "border-l-4 border-sale bg-red-50 text-ink",
      success: "border-l-4 border-emerald-700 bg-emerald-50 text-ink",
    },
  },
  defaultVariants: { variant: "default" },
});

function Notice({
  className,
  variant,
  ...props
}: React.ComponentProps<"div"> & VariantProps<typeof noticeVariants>) {
  return (
    <div data-slot="notice" className={cn(noticeVariants({ variant }), className)} {...props} />
  );
}

export { Notice, noticeVariants };
