import { Button } from "@/components/ui/button";
import { changeRule } from "@/lib/actions/rules";
import type { Rule } from "@/lib/api/types";
import { cn } from "@/lib/utils";

const STATUS_STYLE: Record<Rule["status"], string> = {
  active: "bg-emerald-100 text-emerald-900",
  scheduled: "bg-sky-100 text-sky-900",
  expired: "bg-stone-200 text-stone-700",
  disabled: "bg-stone-100 text-stone-600",
};

function what(rule: Rule): string {
  const a = rule.action;
  if (a.type === "pin") {
    return a.pins.map((p) => `pin ${p.article_id} at ${p.position}`).join(", ");
  }
  const target = Object.entries(a.match)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(
      ([k, v]) =>
        `${k.replace(/_name$/, "").replaceAll("_", " ")} ${Array.isArray(v) ? v.join(" or ") : v}`,
    )
    .join(", ");
  if (a.type === "boost" || a.type === "bury") {
    return `${a.strength > 0 ? "boost" : "bury"} ${target} by ${Math.abs(a.strength)}`;
  }
  return `${a.type === "hide" ? "hide" : "only"} ${target}`;
}

function where(rule: Rule): string {
  const s = rule.scope;
  const parts = [s.surfaces.join(", ")];
  if (s.query) parts.push(`searches that ${s.query.match} “${s.query.text}”`);
  if (s.category?.length) parts.push(`category ${s.category.join(" or ")}`);
  if (s.department?.length) parts.push(`department ${s.department.join(" or ")}`);
  if (s.source_article?.length) parts.push(`similar to ${s.source_article.join(", ")}`);
  return parts.join("; ");
}

function when(rule: Rule): string {
  const fmt = (d: string) => `${d.slice(0, 16).replace("T", " ")} UTC`;
  if (rule.starts_at && rule.ends_at) return `${fmt(rule.starts_at)} – ${fmt(rule.ends_at)}`;
  if (rule.starts_at) return `from ${fmt(rule.starts_at)}`;
  if (rule.ends_at) return `until ${fmt(rule.ends_at)}`;
  return "always";
}

/** The shop's rules, grouped by what they do now (active, scheduled, expired, disabled). */
export function RulesTable({ rules }: { rules: Rule[] }) {
  if (rules.length === 0) {
    return (
      <p className="text-sm text-stone-600">No rules yet: every list is the ranker&apos;s own.</p>
    );
  }
  const order = ["active", "scheduled", "expired", "disabled"];
  const sorted = [...rules].sort(
    (a, b) => order.indexOf(a.status) - order.indexOf(b.status) || b.priority - a.priority,
  );
  return (
    <ul className="divide-y divide-stone-200 border-y border-stone-200" data-testid="rules-list">
      {sorted.map((rule) => (
        <li
          key={rule.id}
          data-testid="rule-row"
          data-rule-id={rule.id}
          data-status={rule.status}
          className="grid gap-2 py-3 text-sm md:grid-cols-[minmax(0,14rem)_minmax(0,1fr)_auto] md:items-center"
        >
          <div>
            <span className="font-medium">{rule.name}</span>{" "}
            <span
              className={cn("ml-1 px-1.5 py-0.5 text-xs font-medium", STATUS_STYLE[rule.status])}
            >
              {rule.status}
            </span>
            <div className="text-xs text-stone-600">
              priority {rule.priority} · by {rule.updated_by ?? rule.created_by ?? "?"}
            </div>
          </div>
          <div className="text-stone-800">
            <div>{what(rule)}</div>
            <div className="text-xs text-stone-600">
              {where(rule)} · {when(rule)}
            </div>
          </div>
          <form action={changeRule} className="flex gap-2">
            <input type="hidden" name="id" value={rule.id} />
            <Button
              type="submit"
              name="intent"
              value={rule.enabled ? "disable" : "enable"}
              variant="outline"
              size="sm"
              className="h-11"
            >
              {rule.enabled ? "Disable" : "Enable"}
            </Button>
            <Button
              type="submit"
              name="intent"
              value="delete"
              variant="ghost"
              size="sm"
              className="h-11"
            >
              Delete
            </Button>
          </form>
        </li>
      ))}
    </ul>
  );
}
