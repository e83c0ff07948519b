import { availability, availabilityLabel } from "@/lib/catalog";
import { cn } from "@/lib/utils";

/** "Out of stock" or "Not available" (hidden); nothing for an article on sale. */
export function AvailabilityBadge({
  article,
  className,
}: {
  article: { in_stock: boolean; hidden: boolean };
  className?: string;
}) {
  const label = availabilityLabel(article);
  if (!label) return null;
  return (
    <span
      data-testid="availability"
      data-availability={availability(article)}
      className={cn(
        "inline-flex w-fit items-center bg-ink px-2 py-1 text-[0.6875rem] font-semibold uppercase tracking-wider text-white",
        className,
      )}
    >
      {label}
    </span>
  );
}
