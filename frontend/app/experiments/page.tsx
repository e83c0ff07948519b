import type { Metadata } from "next";
import Link from "next/link";

import { ExperimentEditor } from "@/components/staff/experiment-editor";
import { ExperimentResultsView } from "@/components/staff/experiment-results";
import { StaffBar } from "@/components/staff/staff-bar";
import { Button } from "@/components/ui/button";
import { stopExperimentAction } from "@/lib/actions/experiments";
import { experimentResults, listExperiments } from "@/lib/api/experiments";
import type { Experiment } from "@/lib/api/types";
import { requireStaff } from "@/lib/staff";
import { cn } from "@/lib/utils";

export const metadata: Metadata = { title: "Experiments" };

const STATUS_STYLE: Record<Experiment["status"], string> = {
  running: "bg-emerald-100 text-emerald-900",
  scheduled: "bg-sky-100 text-sky-900",
  ended: "bg-stone-200 text-stone-700",
  stopped: "bg-stone-100 text-stone-600",
};

function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "–";
}

function variantsOf(x: Experiment): string {
  return x.variants
    .map((v) => {
      const o = v.overlay ?? {};
      const said = [
        o.weights ? `weights ${o.weights.cf}/${o.weights.text}/${o.weights.image}` : null,
        o.rules != null ? `rules ${o.rules ? "on" : "off"}` : null,
        o.exclude_bought != null ? `leave out bought ${o.exclude_bought ? "yes" : "no"}` : null,
        o.candidates != null ? `${o.candidates} candidates` : null,
        o.colourway_boost != null ? `colourway ${o.colourway_boost}` : null,
        o.ranker != null ? `${o.ranker} ranker` : null,
      ].filter(Boolean);
      return `${v.name} ${Math.round(v.share * 100)}%${said.length ? ` (${said.join(", ")})` : " (the shop's settings)"}`;
    })
    .join(" · ");
}

export default async function ExperimentsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const staff = await requireStaff("/experiments");
  const { experiments } = await listExperiments(staff.key);
  const asked = Number((await searchParams).id);
  const shown =
    experiments.find((x) => x.id === asked) ??
    [...experiments].reverse().find((x) => x.status === "running") ??
    experiments.at(-1);
  const results = shown ? await experimentResults(shown.id, staff.key) : null;
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 pb-16 sm:px-6 lg:px-10">
      <StaffBar staff={staff} current="experiments" />
      <h1 className="text-3xl font-semibold tracking-tight">Experiments</h1>
      <p className="mt-2 max-w-3xl text-sm text-stone-700">
        Split a surface&apos;s visitors between variants of the ranking and see which one shoppers
        answer better. Each visitor stays in one variant for the whole experiment; the numbers are
        per visitor, each with its 95% interval, and each variant is compared with the first (the
        control).
      </p>

      <section aria-labelledby="experiments-heading" className="mt-8">
        <h2 id="experiments-heading" className="text-lg font-semibold">
          All experiments
        </h2>
        {experiments.length === 0 ? (
          <p className="mt-3 text-sm text-stone-600" data-testid="experiments-empty">
            No experiments yet: every visitor sees the shop&apos;s settings.
          </p>
        ) : (
          <ul
            className="mt-3 divide-y divide-stone-200 border-y border-stone-200"
            data-testid="experiments-list"
          >
            {[...experiments].reverse().map((x) => (
              <li
                key={x.id}
                data-testid="experiment-row"
                data-experiment-id={x.id}
                data-status={x.status}
                className="grid gap-2 py-3 text-sm md:grid-cols-[minmax(0,16rem)_minmax(0,1fr)_auto] md:items-center"
              >
                <div>
                  <Link
                    href={`/experiments?id=${x.id}`}
                    className={cn(
                      "font-medium underline-offset-4 hover:underline",
                      shown?.id === x.id && "underline",
                    )}
                    aria-current={shown?.id === x.id ? "true" : undefined}
                  >
                    {x.name}
                  </Link>{" "}
                  <span
                    className={cn("ml-1 px-1.5 py-0.5 text-xs font-medium", STATUS_STYLE[x.status])}
                  >
                    {x.status}
                  </span>
                  <div className="text-xs text-stone-600">
                    {x.surfaces.join(", ")} · {day(x.starts_at)} to {day(x.stopped_at ?? x.ends_at)}
                  </div>
                </div>
                <div className="text-stone-800">{variantsOf(x)}</div>
                {x.status === "running" || x.status === "scheduled" ? (
                  <form action={stopExperimentAction}>
                    <input type="hidden" name="id" value={x.id} />
                    <Button type="submit" variant="outline" size="sm" className="h-11">
                      Stop
                    </Button>
                  </form>
                ) : (
                  <span />
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      {shown && results ? (
        <section aria-labelledby="results-heading" className="mt-10">
          <h2 id="results-heading" className="text-lg font-semibold">
            Results: {shown.name}
          </h2>
          <div className="mt-3">
            <ExperimentResultsView results={results} currency="EUR" />
          </div>
        </section>
      ) : null}

      <section aria-labelledby="new-heading" className="mt-10">
        <h2 id="new-heading" className="mb-4 text-lg font-semibold">
          New experiment
        </h2>
        <ExperimentEditor />
      </section>
    </div>
  );
}
