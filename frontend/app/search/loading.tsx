import { Skeleton } from "@/components/ui/skeleton";

export default function SearchLoading() {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 sm:px-6 lg:px-10" role="status">
      <span className="sr-only">Searching…</span>
      <Skeleton className="h-9 w-72" />
      <Skeleton className="mt-3 h-4 w-full max-w-2xl" />
      <Skeleton className="mt-6 h-10 w-full max-w-md" />
      <div className="mt-10 flex flex-col gap-6">
        {Array.from({ length: 6 }, (_, i) => (
          <div key={`r-${i}`} className="grid grid-cols-[5rem_1fr_18rem] gap-4">
            <Skeleton className="aspect-[3/4]" />
            <Skeleton className="h-16" />
            <Skeleton className="h-16" />
          </div>
        ))}
      </div>
    </div>
  );
}
