import { ShoppingBagIcon } from "lucide-react";
import Link from "next/link";

import { Button } from "@/components/ui/button";

/** In place of "Add to bag" for a visitor: the bag belongs to a signed-in shopper. */
export function SignInToShop() {
  return (
    <div className="flex" data-testid="product-actions">
      <Button asChild className="flex-1 sm:min-w-40 sm:flex-none">
        <Link href="/profile">
          <ShoppingBagIcon aria-hidden="true" />
          Sign in to shop
        </Link>
      </Button>
    </div>
  );
}
