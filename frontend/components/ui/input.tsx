import type * as React from "react";

import { cn } from "@/lib/utils";

function Input({ className, type, ...props }: React.ComponentProps<"input">) {
  return (
    <input
      type={type}
      data-slot="input"
      className={cn(
        "h-11 w-full min-w-0 border border-stone-300 bg-white px-3 text-sm text-ink placeholder:text-stone-500 outline-none transition-colors focus-visible:border-ink focus-visible:ring-1 focus-visible:ring-ink disabled:opacity-50 aria-invalid:border-sale",
        className,
      )}
      {...props}
    />
  );
}

export { Input };
