import type * as React from "react";

import { cn } from "@/lib/utils";

function Textarea({ className, ...props }: React.ComponentProps<"textarea">) {
  return (
    <textarea
      data-slot="textarea"
      className={cn(
        "min-h-24 w-full border border-stone-300 bg-white px-3 py-2 text-sm text-ink placeholder:text-stone-500 outline-none focus-visible:border-ink focus-visible:ring-1 focus-visible:ring-ink",
        className,
      )}
      {...props}
    />
  );
}

export { Textarea };
