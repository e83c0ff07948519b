import { GridSkeleton } from "@/components/product/grid-skeleton";
import { Skeleton } from "@/components/ui/skeleton";

export default function ExploreLoading() {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10" role="status">
      <span className="sr-only">Loading products…</span>
      <Skeleton className="h-9 w-48" />
      <Skeleton className="mt-6 h-10 w-full max-w-md" />
      <div className="mt-12 flex gap-10">
        <div className="hidden w-60 shrink-0 flex-col gap-3 lg:flex">
          {Array.from({ length: 10 }, (_, i) => (
            <Skeleton key={`f-${i}`} className="h-5 w-full" />
          ))}
        </div>
        <div className="flex-1">
          <GridSkeleton count={12} />
        </div>
      </div>
    </div>
  );
}
