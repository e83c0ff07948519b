import type { Parts, RuleRef, Weights } from "@/lib/api/types";
import { cn } from "@/lib/utils";

const SIGNALS = [
  ["cf", "CF", "bg-sky-700"],
  ["text", "Text", "bg-amber-600"],
  ["image", "Image", "bg-emerald-700"],
] as const;

function Bar({ value, className }: { value: number; className: string }) {
  const pct = Math.max(0, Math.min(1, value)) * 100;
  return (
    <span aria-hidden="true" className="relative block h-2 flex-1 bg-stone-100">
      <span
        className={cn("absolute inset-y-0 left-0 transition-[width] duration-500", className)}
        style={{ width: `${pct}%` }}
      />
    </span>
  );
}

/**
 * Why an item ranks where it does: each signal's normalised part (0–1) with its weight, and the
 * final score. Bars are decorative; the numbers are the content.
 */
export function ScoreBars({
  parts,
  score,
  boost,
  weights,
  rules = [],
}: {
  parts: Parts;
  score: number | null | undefined;
  boost: number;
  weights: Weights | null | undefined;
  /** The merchandising rules that moved the item (pinned, boosted, buried). */
  rules?: RuleRef[];
}) {
  const verb = { pin: "Pinned", boost: "Boosted", bury: "Buried" } as const;
  return (
    <dl
      className="grid w-full grid-cols-[4.5rem_1fr_3.5rem] items-center gap-x-3 gap-y-1.5 text-xs"
      data-testid="score-bars"
    >
      {SIGNALS.map(([key, label, colour]) => {
        const value = parts[key];
        const weight = weights?.[key];
        return (
          <div key={key} className="contents" data-testid={`part-${key}`}>
            <dt className="text-stone-600">
              {label}
              {weight != null ? (
                <span className="text-stone-500"> ×{weight.toFixed(2)}</span>
              ) : null}
            </dt>
            <dd className="contents">
              {value == null ? (
                <span
                  className="h-2 flex-1 border border-dashed border-stone-300"
                  aria-hidden="true"
                />
              ) : (
                <Bar value={value} className={colour} />
              )}
              <span className="text-right tabular-nums">
                {value == null ? "absent" : value.toFixed(2)}
              </span>
            </dd>
          </div>
        );
      })}
      <div className="contents font-semibold" data-testid="final-score">
        <dt>
          Score
          {boost ? <span className="font-normal text-stone-500"> +{boost.toFixed(2)}</span> : null}
        </dt>
        <dd className="contents">
          <Bar value={score ?? 0} className="bg-ink" />
          <span className="text-right tabular-nums">{score == null ? "–" : score.toFixed(3)}</span>
        </dd>
      </div>
      {rules.map((rule) => (
        <div key={rule.id} className="contents" data-testid="moved-by-rule">
          <dt className="text-stone-600">Rule</dt>
          <dd className="col-span-2 font-medium text-violet-900">
            {verb[rule.action]} by {rule.name}
          </dd>
        </div>
      ))}
    </dl>
  );
}
