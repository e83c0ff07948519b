import type { Metadata } from "next";

import { LineChart, type Point, PositionChart } from "@/components/staff/insights-charts";
import { StaffBar } from "@/components/staff/staff-bar";
import { apiFetch } from "@/lib/api/client";
import type { Insights } from "@/lib/api/types";
import { requireStaff } from "@/lib/staff";

export const metadata: Metadata = { title: "Insights" };

/** Days shown: the last two weeks. */
const DAYS = 14;

type Rate = Insights["surfaces"][number]["click_through"];

function pct(v: number | null | undefined): string {
  return v == null ? "–" : `${(v * 100).toFixed(1)}%`;
}

function withInterval(r: Rate) {
  return (
    <>
      <span className="font-medium tabular-nums">{pct(r.value)}</span>{" "}
      <span className="text-xs text-stone-600 tabular-nums">
        {r.low == null ? "" : `${pct(r.low)}–${pct(r.high)}`}
      </span>
    </>
  );
}

function point(day: string, r: Rate): Point {
  return { day, value: r.value ?? null, low: r.low ?? null, high: r.high ?? null };
}

export default async function InsightsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const staff = await requireStaff("/insights");
  // "Refresh now": the daily roll-up is brought up to date before it is read.
  const fresh = (await searchParams).fresh === "1";
  const to = new Date();
  const from = new Date(to.getTime() - (DAYS - 1) * 86_400_000);
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  const data = await apiFetch<Insights>("/admin/insights", {
    query: { from: iso(from), to: iso(to), ...(fresh ? { fresh: true } : {}) },
    apiKey: staff.key,
  });
  const days = Array.from({ length: DAYS }, (_, i) =>
    iso(new Date(from.getTime() + i * 86_400_000)),
  );
  const surfaces = [...new Set(data.days.map((d) => d.surface))];
  const series = (metric: "click_through" | "conversion") =>
    surfaces.map((name) => ({
      name,
      points: data.days
        .filter((d) => d.surface === name && d.day)
        .map((d) => point(d.day ?? "", d[metric])),
    }));
  const currency = "EUR";
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 pb-16 sm:px-6 lg:px-10">
      <StaffBar staff={staff} current="insights" />
      <h1 className="text-3xl font-semibold tracking-tight">Insights</h1>
      <p className="mt-2 max-w-3xl text-sm text-stone-700">
        What shoppers did with the lists the shop showed them, {iso(from)} to {iso(to)} (UTC): a
        list is clicked when a product is opened from it, converted when a purchase from it follows
        within {data.window_days} days. Each rate has its 95% interval.
      </p>
      <p className="mt-1 text-sm text-stone-600" data-testid="insights-as-of">
        {data.as_of
          ? `Figures as of ${data.as_of.slice(0, 16).replace("T", " ")} UTC.`
          : "Figures computed just now."}{" "}
        <a
          href="/insights?fresh=1"
          className="font-medium text-stone-900 underline underline-offset-2"
          data-testid="insights-refresh"
        >
          Refresh now
        </a>
      </p>

      <section aria-labelledby="by-surface" className="mt-8">
        <h2 id="by-surface" className="text-lg font-semibold">
          By surface
        </h2>
        {data.surfaces.length === 0 ? (
          <p className="mt-3 text-sm text-stone-600" data-testid="insights-empty">
            No lists were served in these days.
          </p>
        ) : (
          <div
            className="mt-3 overflow-x-auto"
            // Scrolls sideways on a phone: reachable from the keyboard.
            tabIndex={0}
            role="region"
            aria-label="Lists by surface (scrolls sideways)"
          >
            <table
              className="w-full min-w-[40rem] text-left text-sm"
              data-testid="insights-surfaces"
            >
              <thead className="border-b border-stone-300 text-xs text-stone-600">
                <tr>
                  <th className="py-2 pr-4 font-medium">Surface</th>
                  <th className="py-2 pr-4 text-right font-medium">Lists</th>
                  <th className="py-2 pr-4 font-medium">Click-through</th>
                  <th className="py-2 pr-4 font-medium">Add to bag</th>
                  <th className="py-2 pr-4 font-medium">Conversion</th>
                  <th className="py-2 text-right font-medium">Revenue</th>
                </tr>
              </thead>
              <tbody>
                {data.surfaces.map((s) => (
                  <tr
                    key={s.surface}
                    className="border-b border-stone-200"
                    data-testid="insights-surface"
                    data-surface={s.surface}
                    data-lists={s.lists}
                  >
                    <td className="py-2 pr-4 font-medium">{s.surface}</td>
                    <td className="py-2 pr-4 text-right tabular-nums">
                      {s.lists.toLocaleString("en")}
                    </td>
                    <td className="py-2 pr-4">{withInterval(s.click_through)}</td>
                    <td className="py-2 pr-4">{withInterval(s.add_to_cart)}</td>
                    <td className="py-2 pr-4">{withInterval(s.conversion)}</td>
                    <td className="py-2 text-right tabular-nums">
                      {s.revenue.toLocaleString("en", { style: "currency", currency })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-label="Charts" className="mt-10 grid gap-10 lg:grid-cols-2">
        <LineChart title="Click-through per day" days={days} series={series("click_through")} />
        <LineChart title="Conversion per day" days={days} series={series("conversion")} />
        <PositionChart
          title="Click-through by position (every surface)"
          points={data.by_position.map((p) => point(String(p.position), p.click_through))}
        />
      </section>

      <section aria-labelledby="rules-heading" className="mt-10">
        <h2 id="rules-heading" className="text-lg font-semibold">
          Items moved by merchandising rules
        </h2>
        {data.rules.length === 0 ? (
          <p className="mt-3 text-sm text-stone-600">No rule moved an item in these days.</p>
        ) : (
          <table className="mt-3 w-full max-w-3xl text-left text-sm" data-testid="insights-rules">
            <thead className="border-b border-stone-300 text-xs text-stone-600">
              <tr>
                <th className="py-2 pr-4 font-medium">Rule</th>
                <th className="py-2 pr-4 text-right font-medium">Lists</th>
                <th className="py-2 font-medium">Items opened</th>
              </tr>
            </thead>
            <tbody>
              {data.rules.map((r) => (
                <tr key={r.id} className="border-b border-stone-200">
                  <td className="py-2 pr-4">{r.name ?? `rule ${r.id} (deleted)`}</td>
                  <td className="py-2 pr-4 text-right tabular-nums">{r.lists}</td>
                  <td className="py-2">{withInterval(r.click_through)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-label="Search queries" className="mt-10 grid gap-10 lg:grid-cols-2">
        <QueryTable title="Top searches" rows={data.top_queries} testId="top-queries" />
        <QueryTable
          title="Searches whose lists got no click"
          rows={data.no_click_queries}
          testId="no-click-queries"
        />
      </section>
    </div>
  );
}

function QueryTable({
  title,
  rows,
  testId,
}: {
  title: string;
  rows: Insights["top_queries"];
  testId: string;
}) {
  return (
    <div className="min-w-0">
      <h2 className="text-lg font-semibold">{title}</h2>
      {rows.length === 0 ? (
        <p className="mt-3 text-sm text-stone-600">None in these days.</p>
      ) : (
        <table className="mt-3 w-full text-left text-sm" data-testid={testId}>
          <thead className="border-b border-stone-300 text-xs text-stone-600">
            <tr>
              <th className="py-2 pr-4 font-medium">Query</th>
              <th className="py-2 pr-4 text-right font-medium">Lists</th>
              <th className="py-2 font-medium">Click-through</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((q) => (
              <tr key={q.query} className="border-b border-stone-200">
                <td className="py-2 pr-4">{q.query}</td>
                <td className="py-2 pr-4 text-right tabular-nums">{q.lists}</td>
                <td className="py-2">{withInterval(q.click_through)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
