import type * as React from "react";

import { cn } from "@/lib/utils";

/** What a list shows when it has nothing: a title, a hint, and a way on. */
function EmptyState({
  title,
  children,
  action,
  className,
}: {
  title: string;
  children?: React.ReactNode;
  action?: React.ReactNode;
  className?: string;
}) {
  return (
    <div
      data-testid="empty-state"
      className={cn("flex flex-col items-center gap-3 px-6 py-16 text-center", className)}
    >
      <p className="text-lg font-semibold">{title}</p>
      {children ? <div className="max-w-md text-sm text-stone-600">{children}</div> : null}
      {action}
    </div>
  );
}

export { EmptyState };
