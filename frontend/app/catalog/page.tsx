import type { Metadata } from "next";

import { CatalogResults } from "@/components/catalog/catalog-results";
import { CatalogSearch } from "@/components/catalog/catalog-search";
import { Notice } from "@/components/ui/notice";
import { parseLookup } from "@/lib/catalog";
import { merchandiserKey } from "@/lib/staff";

export const metadata: Metadata = { title: "Catalog" };

export default async function CatalogPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { q } = await searchParams;
  const lookup = parseLookup(q);
  const apiKey = merchandiserKey();
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10">
      <h1 className="text-3xl font-semibold tracking-tight">Catalog</h1>
      <p className="mt-2 max-w-3xl text-sm text-stone-700">
        Find an article by its id or by words, then change its price, mark it out of stock or hide
        it. The shop shows each change at once: out-of-stock and hidden articles leave every list,
        and their page says so.
      </p>
      {apiKey ? (
        <>
          <div className="mt-6">
            <CatalogSearch
              q={lookup.kind === "text" ? lookup.q : lookup.kind === "id" ? lookup.id : ""}
            />
          </div>
          <div className="mt-8">
            <CatalogResults lookup={lookup} apiKey={apiKey} />
          </div>
        </>
      ) : (
        <Notice className="mt-6 max-w-3xl" data-testid="key-missing">
          <p className="font-semibold">The catalog tools need a merchandiser key.</p>
          <p className="mt-2">
            Create one with{" "}
            <code className="bg-white px-1">
              python -m api keys create --role merchandiser --name storefront
            </code>{" "}
            and start the storefront with it in{" "}
            <code className="bg-white px-1">LOOKBOOK_MERCHANDISER_KEY</code>. The key stays on the
            storefront&apos;s server; the browser never sees it.
          </p>
        </Notice>
      )}
    </div>
  );
}
