import Link from "next/link";

import { ProductImage } from "@/components/product/product-image";
import { Button } from "@/components/ui/button";
import type { AnyItem } from "@/lib/api/types";

/** The opening banner: a line, two ways in, and a collage of what sells this week. */
export function Hero({ picks, signedIn }: { picks: AnyItem[]; signedIn: boolean }) {
  return (
    <section
      aria-labelledby="hero-title"
      className="mx-auto grid max-w-screen-2xl items-center gap-8 px-4 pt-8 sm:px-6 md:grid-cols-2 lg:px-10 lg:pt-12"
    >
      <div className="max-w-xl py-4 md:py-12">
        <p className="text-xs font-semibold uppercase tracking-[0.2em] text-sale">New this week</p>
        <h1 id="hero-title" className="mt-3 text-4xl font-semibold tracking-tight sm:text-6xl">
          Wear what moves you.
        </h1>
        <p className="mt-4 text-base text-stone-700 sm:text-lg">
          Fresh styles ranked by what shoppers buy, how each piece is described and how it looks
          {signedIn ? ", with a feed made for you." : ". Sign in and the shop learns your taste."}
        </p>
        <div className="mt-8 flex flex-wrap gap-3">
          <Button asChild size="lg">
            <Link href="/explore">Shop the collection</Link>
          </Button>
          <Button asChild size="lg" variant="outline">
            <Link href={signedIn ? "#for-you-title" : "/profile"}>
              {signedIn ? "See your picks" : "Sign in"}
            </Link>
          </Button>
        </div>
      </div>
      <div className="grid grid-cols-3 gap-2 sm:gap-3" aria-hidden="true">
        {picks.slice(0, 3).map((item, i) => (
          <div key={item.article_id} className={i === 1 ? "translate-y-6" : ""}>
            <ProductImage imageUrl={item.image_url} alt="" priority sizes="16vw" />
          </div>
        ))}
      </div>
    </section>
  );
}
