import Link from "next/link";

import { Button } from "@/components/ui/button";

export default function NotFound() {
  return (
    <div
      data-testid="not-found"
      className="mx-auto flex max-w-xl flex-col items-center gap-4 px-6 py-24 text-center"
    >
      <p className="text-sm font-semibold uppercase tracking-[0.2em] text-sale">404</p>
      <h1 className="text-3xl font-semibold">This page is not in the collection</h1>
      <p className="text-stone-600">
        The link may be old, or the product sold out and left the catalog.
      </p>
      <div className="flex flex-wrap justify-center gap-3">
        <Button asChild>
          <Link href="/explore">Explore the catalog</Link>
        </Button>
        <Button asChild variant="outline">
          <Link href="/">Home</Link>
        </Button>
      </div>
    </div>
  );
}
