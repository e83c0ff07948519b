import type { ExperimentResults } from "@/lib/api/types";
import { cn } from "@/lib/utils";

type Variant = ExperimentResults["variants"][number];

const METRICS = [
  ["conversion", "Conversion", "visitors who bought from a list"],
  ["click_through", "Click-through", "visitors who opened an item from a list"],
  ["add_to_cart", "Add to bag", "visitors who added an item from a list"],
  ["revenue_per_visitor", "Revenue per visitor", "attributed purchases"],
] as const;

function pct(v: number | null | undefined): string {
  return v == null ? "–" : `${(v * 100).toFixed(1)}%`;
}

function money(v: number | null | undefined, currency: string): string {
  return v == null ? "–" : `${v.toFixed(2)} ${currency}`;
}

/** A variant's interval: grey for the control and for no significant difference, green when
 * significantly better than the control (p < 0.05), red when significantly worse. */
function tone(v: Variant, metric: string): string {
  const d = (v.versus_control ?? {})[metric];
  if (v.control || !d || d.p_value >= 0.05) return "bg-stone-400";
  return d.value > 0 ? "bg-emerald-600/80" : "bg-red-600/70";
}

/**
 * One metric across the variants: each a point with its 95% interval, on a shared axis from 0;
 * the control's value as a dashed line.
 */
function IntervalBars({
  variants,
  metric,
  format,
}: {
  variants: Variant[];
  metric: (typeof METRICS)[number][0];
  format: (v: number | null | undefined) => string;
}) {
  const of = (v: Variant) => (v.metrics ?? {})[metric];
  const highs = variants.map((v) => of(v)?.high ?? of(v)?.value ?? 0);
  const top = Math.max(...highs, 1e-9) * 1.1;
  const x = (v: number) => `${Math.max(0, Math.min(100, (v / top) * 100))}%`;
  const first = variants.find((v) => v.control);
  const control = first ? of(first)?.value : undefined;
  return (
    <div className="relative grid gap-2" data-testid={`bars-${metric}`}>
      {control != null ? (
        <div
          aria-hidden
          className="absolute top-0 bottom-0 ml-16 border-l border-dashed border-stone-400"
          style={{ left: `calc((100% - 4rem) * ${Math.min(control / top, 1)})` }}
        />
      ) : null}
      {variants.map((v) => {
        const m = of(v);
        return (
          <div key={v.name} className="grid grid-cols-[4rem_minmax(0,1fr)] items-center gap-0">
            <span className="text-sm font-medium">{v.name}</span>
            <div className="relative h-6 bg-stone-100" title={`${v.name}: ${format(m?.value)}`}>
              {m?.low != null && m?.high != null ? (
                <div
                  className={cn("absolute top-2 h-2", tone(v, metric))}
                  style={{ left: x(m.low), width: `calc(${x(m.high)} - ${x(m.low)})` }}
                />
              ) : null}
              {m?.value != null ? (
                <div
                  className="absolute top-0.5 h-5 w-1 -translate-x-1/2 bg-ink"
                  style={{ left: x(m.value) }}
                />
              ) : null}
            </div>
          </div>
        );
      })}
    </div>
  );
}

/** An experiment's results: the verdict, the split check, and each metric per variant. */
export function ExperimentResultsView({
  results,
  currency,
}: {
  results: ExperimentResults;
  currency: string;
}) {
  const { variants, sample_ratio: ratio } = results;
  const fmt = (metric: string) => (v: number | null | undefined) =>
    metric === "revenue_per_visitor" ? money(v, currency) : pct(v);
  return (
    <div className="grid gap-6" data-testid="experiment-results">
      <p className="text-base font-medium" data-testid="experiment-verdict">
        {results.verdict}
      </p>
      {ratio.flagged ? (
        <div
          role="alert"
          className="border-l-4 border-sale bg-red-50 px-5 py-4 text-sm"
          data-testid="experiment-srm"
        >
          Sample ratio mismatch: the variants got{" "}
          {Object.entries(ratio.observed)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")}{" "}
          visitors where the shares expect{" "}
          {Object.entries(ratio.expected)
            .map(([k, n]) => `${k} ${Math.round(n)}`)
            .join(", ")}{" "}
          (chi-square p = {ratio.p_value?.toExponential(1)}). Something breaks the split or the
          logging: trust none of these numbers until it is fixed.
        </div>
      ) : null}
      <div
        className="overflow-x-auto"
        tabIndex={0}
        role="region"
        aria-label="Results by variant (scrolls sideways)"
      >
        <table className="w-full min-w-[40rem] text-left text-sm" data-testid="experiment-table">
          <thead className="border-b border-stone-300 text-xs text-stone-600">
            <tr>
              <th className="py-2 pr-4 font-medium">Variant</th>
              <th className="py-2 pr-4 font-medium">Visitors</th>
              <th className="py-2 pr-4 font-medium">Lists</th>
              {METRICS.map(([key, label]) => (
                <th key={key} className="py-2 pr-4 font-medium">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {variants.map((v) => (
              <tr
                key={v.name}
                className="border-b border-stone-200 align-top"
                data-testid="experiment-variant-row"
                data-variant={v.name}
                data-visitors={v.visitors}
              >
                <td className="py-2 pr-4 font-medium">
                  {v.name}
                  {v.control ? (
                    <span className="ml-1 text-xs text-stone-600">(control)</span>
                  ) : null}
                </td>
                <td className="py-2 pr-4 tabular-nums">{v.visitors.toLocaleString("en")}</td>
                <td className="py-2 pr-4 tabular-nums">{v.lists.toLocaleString("en")}</td>
                {METRICS.map(([key]) => {
                  const m = (v.metrics ?? {})[key];
                  const d = (v.versus_control ?? {})[key];
                  const f = fmt(key);
                  return (
                    <td key={key} className="py-2 pr-4 tabular-nums">
                      <div>{f(m?.value)}</div>
                      {m?.low != null ? (
                        <div className="text-xs text-stone-600">
                          {f(m.low)}–{f(m.high)}
                        </div>
                      ) : null}
                      {d ? (
                        <div
                          className={cn(
                            "text-xs",
                            d.p_value < 0.05 ? "font-medium text-ink" : "text-stone-600",
                          )}
                        >
                          {d.relative != null
                            ? `${d.relative >= 0 ? "+" : ""}${(d.relative * 100).toFixed(1)}%`
                            : "–"}{" "}
                          (p {d.p_value < 0.001 ? "< 0.001" : `= ${d.p_value.toFixed(3)}`})
                        </div>
                      ) : null}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid gap-6 md:grid-cols-2">
        {METRICS.map(([key, label, what]) => (
          <figure key={key} className="grid gap-2">
            <figcaption className="text-sm">
              <span className="font-medium">{label}</span>{" "}
              <span className="text-stone-600">
                ({what}; each variant&apos;s 95% interval, the dashed line the control; green or
                red: significantly better or worse)
              </span>
            </figcaption>
            <IntervalBars variants={variants} metric={key} format={fmt(key)} />
          </figure>
        ))}
      </div>
      <p className="text-xs text-stone-600">{results.test}.</p>
    </div>
  );
}
