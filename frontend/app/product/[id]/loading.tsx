import { GridSkeleton } from "@/components/product/grid-skeleton";
import { Skeleton } from "@/components/ui/skeleton";

export default function ProductLoading() {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-6 sm:px-6 lg:px-10" role="status">
      <span className="sr-only">Loading product…</span>
      <Skeleton className="h-3 w-48" />
      <div className="mt-4 grid gap-8 md:grid-cols-[1.2fr_1fr] lg:gap-16">
        <Skeleton className="aspect-[3/4] w-full" />
        <div className="flex flex-col gap-4 md:pt-4">
          <Skeleton className="h-8 w-3/4" />
          <Skeleton className="h-6 w-24" />
          <div className="flex gap-2">
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={`c-${i}`} className="h-20 w-16" />
            ))}
          </div>
          <Skeleton className="h-24 w-full" />
        </div>
      </div>
      <Skeleton className="mt-16 mb-6 h-8 w-48" />
      <GridSkeleton count={4} />
    </div>
  );
}
