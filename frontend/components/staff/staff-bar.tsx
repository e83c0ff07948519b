import Link from "next/link";

import { Button } from "@/components/ui/button";
import { signOutStaff } from "@/lib/actions/staff";
import type { Staff } from "@/lib/staff";
import { cn } from "@/lib/utils";

const PAGES = [
  ["catalog", "/catalog", "Catalog"],
  ["merchandising", "/merchandising", "Merchandising"],
  ["insights", "/insights", "Insights"],
  ["experiments", "/experiments", "Experiments"],
] as const;

/** The staff area's own bar: who is signed in, its pages, and sign-out. */
export function StaffBar({ staff, current }: { staff: Staff; current: (typeof PAGES)[number][0] }) {
  return (
    <div
      className="mb-6 flex flex-wrap items-center gap-x-6 gap-y-2 border-b border-stone-200 pb-3 text-sm"
      data-testid="staff-bar"
    >
      <nav aria-label="Staff" className="flex gap-4">
        {PAGES.map(([name, href, label]) => (
          <Link
            key={name}
            href={href}
            aria-current={current === name ? "page" : undefined}
            className={cn(
              "py-2 underline-offset-4 hover:underline",
              current === name ? "font-semibold text-ink" : "text-stone-700",
            )}
          >
            {label}
          </Link>
        ))}
      </nav>
      <span className="ml-auto text-stone-700" data-testid="staff-name">
        Signed in as <span className="font-medium text-ink">{staff.name}</span> ({staff.role})
      </span>
      <form action={signOutStaff}>
        <Button type="submit" variant="outline" size="sm" className="h-9">
          Sign out
        </Button>
      </form>
    </div>
  );
}
