import { Skeleton } from "@/components/ui/skeleton";

export default function ProfileLoading() {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-10 sm:px-6 lg:px-10" role="status">
      <span className="sr-only">Loading your profile…</span>
      <Skeleton className="h-9 w-56" />
      <Skeleton className="mt-3 h-4 w-72" />
      <div className="mt-10 flex flex-wrap gap-2">
        {Array.from({ length: 14 }, (_, i) => (
          <Skeleton key={`chip-${i}`} className="h-8 w-24" />
        ))}
      </div>
      <Skeleton className="mt-10 h-24 w-full max-w-xl" />
    </div>
  );
}
