import { Skeleton } from "@/components/ui/skeleton";

export default function CatalogLoading() {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10" role="status">
      <span className="sr-only">Loading the catalog…</span>
      <Skeleton className="h-9 w-48" />
      <Skeleton className="mt-3 h-4 w-full max-w-2xl" />
      <Skeleton className="mt-6 h-11 w-full max-w-xl" />
      <div className="mt-10 flex flex-col gap-6">
        {Array.from({ length: 5 }, (_, i) => (
          <div
            key={`r-${i}`}
            className="grid grid-cols-[4rem_1fr] gap-4 sm:grid-cols-[5rem_1fr] lg:grid-cols-[5rem_1fr_36rem]"
          >
            <Skeleton className="aspect-[3/4]" />
            <Skeleton className="h-16" />
            <Skeleton className="col-span-2 h-11 lg:col-span-1" />
          </div>
        ))}
      </div>
    </div>
  );
}
