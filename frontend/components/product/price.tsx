import { formatPrice } from "@/lib/format";
import { cn } from "@/lib/utils";

export function Price({
  amount,
  currency,
  className,
}: {
  amount: number;
  currency: string;
  className?: string;
}) {
  return (
    <span className={cn("tabular-nums", className)} data-price={amount.toFixed(2)}>
      {formatPrice(amount, currency)}
    </span>
  );
}
