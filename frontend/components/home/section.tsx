import Link from "next/link";

/** A titled block of the home page with an optional "see all" link. */
export function Section({
  id,
  title,
  subtitle,
  action,
  children,
}: {
  id: string;
  title: string;
  subtitle?: React.ReactNode;
  action?: { href: string; label: string };
  children: React.ReactNode;
}) {
  return (
    <section
      aria-labelledby={`${id}-title`}
      data-testid={`section-${id}`}
      className="mx-auto max-w-screen-2xl px-4 pt-16 sm:px-6 lg:px-10"
    >
      <div className="mb-6 flex flex-wrap items-end justify-between gap-x-6 gap-y-2">
        <div>
          <h2 id={`${id}-title`} className="text-2xl font-semibold tracking-tight sm:text-3xl">
            {title}
          </h2>
          {subtitle ? <div className="mt-1 text-sm text-stone-600">{subtitle}</div> : null}
        </div>
        {action ? (
          <Link href={action.href} className="text-sm font-medium underline underline-offset-4">
            {action.label}
          </Link>
        ) : null}
      </div>
      {children}
    </section>
  );
}
