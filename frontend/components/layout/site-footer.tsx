import Link from "next/link";

export function SiteFooter() {
  return (
    <footer className="mt-24 border-t border-stone-200 bg-canvas">
      <div className="mx-auto grid max-w-screen-2xl gap-8 px-4 py-12 text-sm sm:grid-cols-3 sm:px-6 lg:px-10">
        <div>
          <p className="font-black uppercase tracking-[0.18em]">Lookbook</p>
          <p className="mt-2 max-w-xs text-stone-600">
            Search and recommendations for a fashion catalog, ranked by what shoppers buy, what the
            products say and how they look.
          </p>
        </div>
        <nav aria-label="Shop" className="flex flex-col gap-2">
          <Link href="/explore" className="hover:underline">
            Explore the catalog
          </Link>
          <Link href="/explore?sort=newest" className="hover:underline">
            New arrivals
          </Link>
          <Link href="/explore?sort=trending" className="hover:underline">
            Trending
          </Link>
        </nav>
        <nav aria-label="Tools" className="flex flex-col gap-2">
          <Link href="/profile" className="hover:underline">
            Your profile and preferences
          </Link>
          <Link href="/search" className="hover:underline">
            Merchandiser search
          </Link>
          <Link href="/catalog" className="hover:underline">
            Catalog: prices, stock, visibility
          </Link>
        </nav>
      </div>
    </footer>
  );
}
