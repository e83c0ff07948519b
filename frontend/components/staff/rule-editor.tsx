"use client";

import { useState, useTransition } from "react";

import { ProductImage } from "@/components/product/product-image";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Notice } from "@/components/ui/notice";
import { type PreviewItem, previewRule, type RuleResult, saveRule } from "@/lib/actions/rules";
import type { PreviewTarget } from "@/lib/api/rules";
import type { RuleIn } from "@/lib/api/types";
import { cn } from "@/lib/utils";

const SURFACES = [
  ["search", "Search"],
  ["browse", "Browse"],
  ["trending", "Trending"],
  ["similar", "Similar items"],
  ["feed", "Personal feed"],
] as const;
type Surface = (typeof SURFACES)[number][0];
type ActionType = "pin" | "boost" | "bury" | "hide" | "filter";

/** The attributes an action can target, with the catalog's values (its facets). */
export interface AttributeChoices {
  product_type_name: string[];
  product_group_name: string[];
  colour_group_name: string[];
  index_group_name: string[];
}

const ATTRIBUTES: [keyof AttributeChoices, string][] = [
  ["colour_group_name", "Colour"],
  ["product_type_name", "Product type"],
  ["product_group_name", "Product group"],
  ["index_group_name", "Department"],
];

/** The staff forms' native select (the rule editor's and the experiment editor's). */
export const selectClass =
  "h-11 w-full border border-stone-300 bg-white px-3 text-sm focus-visible:outline-2 focus-visible:outline-ink";

function utc(local: string): string | undefined {
  // <input type="datetime-local"> has no zone: the console states that times are UTC.
  return local ? new Date(`${local}:00Z`).toISOString() : undefined;
}

/**
 * The rule editor: what a rule does, where and when, with a live before/after preview of the
 * surface it targets (the API applies the draft as if saved; nothing is stored until "Save").
 */
export function RuleEditor({ choices }: { choices: AttributeChoices }) {
  const [name, setName] = useState("");
  const [surfaces, setSurfaces] = useState<Surface[]>(["search"]);
  const [queryText, setQueryText] = useState("");
  const [queryMatch, setQueryMatch] = useState<"contains" | "phrase" | "equals">("contains");
  const [actionType, setActionType] = useState<ActionType>("pin");
  const [articleId, setArticleId] = useState("");
  const [position, setPosition] = useState("1");
  const [attribute, setAttribute] = useState<keyof AttributeChoices>("colour_group_name");
  const [value, setValue] = useState(choices.colour_group_name[0] ?? "");
  const [strength, setStrength] = useState("0.5");
  const [priority, setPriority] = useState("0");
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [previewQuery, setPreviewQuery] = useState("");
  const [sourceArticle, setSourceArticle] = useState("");
  const [result, setResult] = useState<RuleResult | null>(null);
  const [saved, setSaved] = useState<RuleResult | null>(null);
  const [pending, startTransition] = useTransition();

  const draft = (): RuleIn => {
    const action =
      actionType === "pin"
        ? {
            type: "pin" as const,
            pins: [{ article_id: articleId.trim(), position: Number(position) }],
          }
        : actionType === "boost" || actionType === "bury"
          ? {
              type: actionType,
              match: { [attribute]: [value] },
              strength: Math.abs(Number(strength)) * (actionType === "bury" ? -1 : 1),
            }
          : { type: actionType, match: { [attribute]: [value] } };
    return {
      name: name.trim() || "Draft",
      enabled: true,
      priority: Number(priority) || 0,
      starts_at: utc(startsAt),
      ends_at: utc(endsAt),
      scope: {
        surfaces,
        ...(queryText.trim() ? { query: { match: queryMatch, text: queryText.trim() } } : {}),
      },
      action,
    } as RuleIn;
  };

  const previewSurface = surfaces.find((s) => s !== "feed") as PreviewTarget["surface"] | undefined;
  const target = (): PreviewTarget | null =>
    previewSurface
      ? {
          surface: previewSurface,
          q: previewQuery.trim() || queryText.trim() || undefined,
          article_id: sourceArticle.trim() || undefined,
        }
      : null;

  const preview = () => {
    const t = target();
    if (!t) return;
    startTransition(async () => setResult(await previewRule(draft(), t)));
  };
  const save = () => {
    startTransition(async () => {
      const done = await saveRule(draft());
      setSaved(done);
      if (done.ok) preview();
    });
  };
  const toggle = (s: Surface) =>
    setSurfaces((now) => (now.includes(s) ? now.filter((x) => x !== s) : [...now, s]));
  const values = choices[attribute];

  return (
    <div className="grid gap-8 xl:grid-cols-[minmax(0,24rem)_minmax(0,1fr)]">
      <form
        className="grid content-start gap-5"
        data-testid="rule-editor"
        onSubmit={(e) => {
          e.preventDefault();
          preview();
        }}
      >
        <div className="grid gap-2">
          <Label htmlFor="rule-name">Name</Label>
          <Input
            id="rule-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Summer linen"
            className="h-11"
            required
          />
        </div>
        <fieldset className="grid gap-2">
          <legend className="mb-2 text-sm font-medium">Where</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-2">
            {SURFACES.map(([s, label]) => (
              <label key={s} className="flex min-h-11 items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={surfaces.includes(s)}
                  onChange={() => toggle(s)}
                  data-testid={`surface-${s}`}
                  className="size-4 accent-ink"
                />
                {label}
              </label>
            ))}
          </div>
          <div className="grid grid-cols-[8rem_minmax(0,1fr)] gap-2">
            <select
              aria-label="How the search query must match"
              className={selectClass}
              value={queryMatch}
              onChange={(e) => setQueryMatch(e.target.value as typeof queryMatch)}
            >
              <option value="contains">contains</option>
              <option value="phrase">phrase</option>
              <option value="equals">equals</option>
            </select>
            <Input
              aria-label="Only for searches with these words (optional)"
              placeholder="only for searches with… (optional)"
              value={queryText}
              onChange={(e) => setQueryText(e.target.value)}
              className="h-11"
              data-testid="rule-query"
            />
          </div>
        </fieldset>
        <fieldset className="grid gap-3">
          <legend className="mb-2 text-sm font-medium">What</legend>
          <select
            aria-label="Action"
            className={selectClass}
            value={actionType}
            onChange={(e) => setActionType(e.target.value as ActionType)}
            data-testid="rule-action"
          >
            <option value="pin">Pin an article at a position</option>
            <option value="boost">Boost matching articles</option>
            <option value="bury">Bury matching articles</option>
            <option value="hide">Hide matching articles</option>
            <option value="filter">Show only matching articles</option>
          </select>
          {actionType === "pin" ? (
            <div className="grid grid-cols-[minmax(0,1fr)_6rem] gap-2">
              <Input
                aria-label="Article id"
                placeholder="article id (10 digits)"
                inputMode="numeric"
                value={articleId}
                onChange={(e) => setArticleId(e.target.value)}
                className="h-11"
                data-testid="pin-article"
              />
              <Input
                aria-label="Position"
                type="number"
                min={1}
                max={100}
                value={position}
                onChange={(e) => setPosition(e.target.value)}
                className="h-11"
                data-testid="pin-position"
              />
            </div>
          ) : (
            <div className="grid grid-cols-2 gap-2">
              <select
                aria-label="Attribute"
                className={selectClass}
                value={attribute}
                onChange={(e) => {
                  const key = e.target.value as keyof AttributeChoices;
                  setAttribute(key);
                  setValue(choices[key][0] ?? "");
                }}
              >
                {ATTRIBUTES.map(([key, label]) => (
                  <option key={key} value={key}>
                    {label}
                  </option>
                ))}
              </select>
              <select
                aria-label="Value"
                className={selectClass}
                value={value}
                onChange={(e) => setValue(e.target.value)}
                data-testid="rule-value"
              >
                {values.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </div>
          )}
          {actionType === "boost" || actionType === "bury" ? (
            <label className="grid gap-1 text-sm">
              Strength {Math.abs(Number(strength)).toFixed(2)} (added to or taken from the score)
              <input
                type="range"
                min={0.05}
                max={1}
                step={0.05}
                value={strength}
                onChange={(e) => setStrength(e.target.value)}
                className="accent-ink"
              />
            </label>
          ) : null}
        </fieldset>
        <fieldset className="grid grid-cols-2 gap-2">
          <legend className="mb-2 text-sm font-medium">When (UTC) and priority</legend>
          <Input
            aria-label="Starts (UTC, optional)"
            type="datetime-local"
            value={startsAt}
            onChange={(e) => setStartsAt(e.target.value)}
            className="h-11"
          />
          <Input
            aria-label="Ends (UTC, optional)"
            type="datetime-local"
            value={endsAt}
            onChange={(e) => setEndsAt(e.target.value)}
            className="h-11"
          />
          <Input
            aria-label="Priority (higher first)"
            type="number"
            min={-1000}
            max={1000}
            value={priority}
            onChange={(e) => setPriority(e.target.value)}
            className="h-11"
          />
        </fieldset>
        <fieldset className="grid gap-2">
          <legend className="mb-2 text-sm font-medium">Preview on</legend>
          <Input
            aria-label="Preview search query"
            placeholder={previewSurface === "similar" ? "" : "a search (default: the rule's words)"}
            value={previewQuery}
            onChange={(e) => setPreviewQuery(e.target.value)}
            className="h-11"
            data-testid="preview-query"
          />
          {previewSurface === "similar" ? (
            <Input
              aria-label="Similar to article id"
              placeholder="similar to article id"
              value={sourceArticle}
              onChange={(e) => setSourceArticle(e.target.value)}
              className="h-11"
            />
          ) : null}
        </fieldset>
        <div className="flex flex-wrap gap-3">
          <Button
            type="submit"
            variant="outline"
            disabled={pending || !previewSurface}
            data-testid="rule-preview"
          >
            {pending ? "Working…" : "Preview"}
          </Button>
          <Button type="button" onClick={save} disabled={pending} data-testid="rule-save">
            Save rule
          </Button>
        </div>
        {saved ? (
          <Notice variant={saved.ok ? "success" : "error"} data-testid="rule-saved" role="status">
            {saved.message}
          </Notice>
        ) : null}
        {result && !result.ok ? (
          <Notice variant="error" data-testid="rule-error" role="alert">
            {result.message}
          </Notice>
        ) : null}
        {!previewSurface ? (
          <p className="text-sm text-stone-600">
            A personal feed is one shopper&apos;s: preview the rule on another surface.
          </p>
        ) : null}
      </form>
      <section
        aria-label="Preview"
        className="grid gap-6 md:grid-cols-2"
        data-testid="rule-preview-lists"
      >
        <PreviewColumn
          title="Now"
          items={result?.ok ? (result.before ?? []) : []}
          testId="preview-before"
        />
        <PreviewColumn
          title="With this rule"
          items={result?.ok ? (result.after ?? []) : []}
          testId="preview-after"
        />
      </section>
    </div>
  );
}

function PreviewColumn({
  title,
  items,
  testId,
}: {
  title: string;
  items: PreviewItem[];
  testId: string;
}) {
  return (
    <div>
      <h3 className="text-sm font-semibold">{title}</h3>
      {items.length === 0 ? (
        <p className="mt-3 text-sm text-stone-600">Preview to see the list.</p>
      ) : (
        <ol className="mt-3 grid gap-2" data-testid={testId}>
          {items.map((item, i) => {
            const draft = item.moved.find((m) => m.draft);
            return (
              <li
                key={item.article_id}
                data-testid="preview-item"
                data-article-id={item.article_id}
                data-moved={draft ? draft.action : ""}
                className={cn(
                  "grid grid-cols-[1.5rem_2.5rem_minmax(0,1fr)] items-center gap-3 border px-2 py-1.5 text-sm",
                  draft ? "border-violet-700 bg-violet-50" : "border-stone-200",
                )}
              >
                <span className="text-right tabular-nums text-stone-600">{i + 1}</span>
                <div className="w-10">
                  <ProductImage imageUrl={item.image_url} alt="" sizes="40px" />
                </div>
                <span className="min-w-0">
                  <span className="block truncate font-medium">{item.prod_name}</span>
                  <span className="block truncate text-xs text-stone-600">
                    {item.colour_group_name} · {item.product_type_name}
                    {item.moved.map((m) => (
                      <span key={m.name} className="ml-2 font-medium text-violet-900">
                        {m.action === "pin" ? "Pinned" : m.action === "bury" ? "Buried" : "Boosted"}{" "}
                        by {m.name}
                      </span>
                    ))}
                  </span>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
