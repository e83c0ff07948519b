import { ScanSearchIcon, TagsIcon, UserIcon } from "lucide-react";
import Link from "next/link";

import { DepartmentNav } from "@/components/layout/department-nav";
import { shortId } from "@/lib/format";
import { getSession } from "@/lib/session";

/**
 * The account links' words: shown from a tablet up, except from lg to xl, where the department
 * links share the row and only the icons fit (each keeps its name for screen readers).
 */
const LABEL = "hidden md:inline lg:hidden xl:inline";
const SR_LABEL = "sr-only md:hidden lg:inline xl:hidden";

export async function SiteHeader() {
  const session = await getSession();
  return (
    <header className="sticky top-0 z-40 border-b border-stone-200 bg-white/95 backdrop-blur">
      <div className="mx-auto flex h-16 max-w-screen-2xl items-center justify-between gap-4 px-4 sm:px-6 lg:px-10">
        <Link
          href="/"
          className="text-xl font-black uppercase tracking-[0.18em] outline-none focus-visible:ring-2 focus-visible:ring-ink"
        >
          Lookbook
        </Link>
        <DepartmentNav className="hidden lg:flex" />
        <nav aria-label="Account" className="flex items-center gap-1 sm:gap-3">
          <Link
            href="/search"
            className="flex items-center gap-2 whitespace-nowrap px-2 py-2 text-sm hover:underline focus-visible:ring-2 focus-visible:ring-ink outline-none"
          >
            <ScanSearchIcon className="size-5" aria-hidden="true" />
            <span className={LABEL}>Merchandiser</span>
            <span className={SR_LABEL}>Merchandiser search</span>
          </Link>
          <Link
            href="/catalog"
            data-testid="catalog-link"
            className="flex items-center gap-2 whitespace-nowrap px-2 py-2 text-sm hover:underline focus-visible:ring-2 focus-visible:ring-ink outline-none"
          >
            <TagsIcon className="size-5" aria-hidden="true" />
            <span className={LABEL}>Catalog</span>
            <span className={SR_LABEL}>Merchandiser catalog</span>
          </Link>
          <Link
            href="/profile"
            data-testid="account-link"
            className="flex items-center gap-2 whitespace-nowrap px-2 py-2 text-sm hover:underline focus-visible:ring-2 focus-visible:ring-ink outline-none"
          >
            <UserIcon className="size-5" aria-hidden="true" />
            <span className={LABEL}>
              {session ? `Customer ${shortId(session.customerId)}` : "Sign in"}
            </span>
            <span className={SR_LABEL}>{session ? "My account" : "Sign in"}</span>
          </Link>
        </nav>
      </div>
      <DepartmentNav className="flex overflow-x-auto border-t border-stone-100 px-4 lg:hidden" />
    </header>
  );
}
