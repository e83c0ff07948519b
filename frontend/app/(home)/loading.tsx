import { GridSkeleton } from "@/components/product/grid-skeleton";
import { Skeleton } from "@/components/ui/skeleton";

export default function HomeLoading() {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10" role="status">
      <span className="sr-only">Loading…</span>
      <div className="grid gap-8 md:grid-cols-2">
        <div className="flex flex-col gap-4 py-12">
          <Skeleton className="h-4 w-32" />
          <Skeleton className="h-14 w-4/5" />
          <Skeleton className="h-5 w-full" />
          <Skeleton className="h-12 w-56" />
        </div>
        <div className="grid grid-cols-3 gap-3">
          <Skeleton className="aspect-[3/4]" />
          <Skeleton className="aspect-[3/4] translate-y-6" />
          <Skeleton className="aspect-[3/4]" />
        </div>
      </div>
      <Skeleton className="mt-16 mb-6 h-8 w-48" />
      <GridSkeleton />
    </div>
  );
}
