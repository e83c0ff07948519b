import type { Metadata } from "next";

import { CatalogResults } from "@/components/catalog/catalog-results";
import { CatalogSearch } from "@/components/catalog/catalog-search";
import { StaffBar } from "@/components/staff/staff-bar";
import { parseLookup } from "@/lib/catalog";
import { requireStaff } from "@/lib/staff";

export const metadata: Metadata = { title: "Catalog" };

export default async function CatalogPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { q } = await searchParams;
  const lookup = parseLookup(q);
  const staff = await requireStaff("/catalog");
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10">
      <StaffBar staff={staff} current="catalog" />
      <h1 className="text-3xl font-semibold tracking-tight">Catalog</h1>
      <p className="mt-2 max-w-3xl text-sm text-stone-700">
        Find an article by its id or by words, then change its price, mark it out of stock or hide
        it. The shop shows each change at once: out-of-stock and hidden articles leave every list,
        and their page says so.
      </p>
      <div className="mt-6">
        <CatalogSearch
          q={lookup.kind === "text" ? lookup.q : lookup.kind === "id" ? lookup.id : ""}
        />
      </div>
      <div className="mt-8">
        <CatalogResults lookup={lookup} apiKey={staff.key} />
      </div>
    </div>
  );
}
