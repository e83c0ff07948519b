import { ShoppingBagIcon } from "lucide-react";
import Link from "next/link";

import { Button } from "@/components/ui/button";

/** In place of "Add to bag" for a visitor: the bag belongs to a signed-in shopper. */
export function SignInToShop() {
  return (
    <div className="flex flex-col items-start gap-2" data-testid="product-actions">
      <Button asChild className="min-w-40">
        <Link href="/profile">
          <ShoppingBagIcon aria-hidden="true" />
          Sign in to shop
        </Link>
      </Button>
      <p className="text-xs text-stone-600">Sign in to add it to your bag.</p>
    </div>
  );
}
