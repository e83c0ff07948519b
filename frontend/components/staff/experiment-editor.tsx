"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { selectClass } from "@/components/staff/rule-editor";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Notice } from "@/components/ui/notice";
import { type ExperimentResult, startExperiment } from "@/lib/actions/experiments";
import type { ExperimentIn } from "@/lib/api/types";

const SURFACES = [
  ["feed", "Personal feed"],
  ["trending", "Trending"],
  ["similar", "Similar items"],
  ["search", "Search"],
  ["browse", "Browse"],
] as const;
type Surface = (typeof SURFACES)[number][0];
type Choice = "shop" | "on" | "off";

interface VariantDraft {
  name: string;
  share: string; // percent
  ownWeights: boolean;
  cf: string;
  text: string;
  image: string;
  rules: Choice;
  excludeBought: Choice;
  candidates: string;
  ranker: "shop" | "blend" | "learned";
}

function blank(name: string, share: string): VariantDraft {
  return {
    name,
    share,
    ownWeights: false,
    cf: "0.5",
    text: "0.3",
    image: "0.2",
    rules: "shop",
    excludeBought: "shop",
    candidates: "",
    ranker: "shop",
  };
}

function overlay(v: VariantDraft): NonNullable<ExperimentIn["variants"][number]["overlay"]> {
  const out: Record<string, unknown> = {};
  if (v.ownWeights) {
    out.weights = { cf: Number(v.cf), text: Number(v.text), image: Number(v.image) };
  }
  if (v.rules !== "shop") out.rules = v.rules === "on";
  if (v.excludeBought !== "shop") out.exclude_bought = v.excludeBought === "on";
  if (v.candidates.trim()) out.candidates = Number(v.candidates);
  if (v.ranker !== "shop") out.ranker = v.ranker;
  return out;
}

/** A new experiment: where, how long, and 2-4 variants from the whitelist (the first is the
 * control); the API checks the rest and names the field it refuses. */
export function ExperimentEditor() {
  const router = useRouter();
  const [name, setName] = useState("");
  const [surfaces, setSurfaces] = useState<Surface[]>(["feed"]);
  const [days, setDays] = useState("14");
  const [variants, setVariants] = useState<VariantDraft[]>([blank("A", "50"), blank("B", "50")]);
  const [result, setResult] = useState<ExperimentResult | null>(null);
  const [pending, startTransition] = useTransition();

  const change = (i: number, patch: Partial<VariantDraft>) =>
    setVariants((now) => now.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  const toggle = (s: Surface) =>
    setSurfaces((now) => (now.includes(s) ? now.filter((x) => x !== s) : [...now, s]));

  const submit = () => {
    const start = new Date();
    const end = new Date(start.getTime() + Math.max(Number(days) || 1, 1) * 86_400_000);
    const body: ExperimentIn = {
      name: name.trim(),
      surfaces,
      starts_at: start.toISOString(),
      ends_at: end.toISOString(),
      variants: variants.map((v) => ({
        name: v.name.trim(),
        share: Number(v.share) / 100,
        overlay: overlay(v),
      })),
    };
    startTransition(async () => {
      const done = await startExperiment(body);
      setResult(done);
      if (done.ok) router.push(`/experiments?id=${done.id}`);
    });
  };

  return (
    <form
      className="grid max-w-5xl gap-6"
      data-testid="experiment-editor"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_10rem]">
        <div className="grid gap-2">
          <Label htmlFor="experiment-name">Name</Label>
          <Input
            id="experiment-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Blend against image only"
            required
          />
        </div>
        <div className="grid gap-2">
          <Label htmlFor="experiment-days">Runs for (days)</Label>
          <Input
            id="experiment-days"
            type="number"
            min={1}
            max={90}
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </div>
      </div>
      <fieldset>
        <legend className="mb-2 text-sm font-medium">Surfaces</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1">
          {SURFACES.map(([s, label]) => (
            <label key={s} className="flex min-h-11 items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={surfaces.includes(s)}
                onChange={() => toggle(s)}
                data-testid={`experiment-surface-${s}`}
                className="size-4 accent-ink"
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="grid gap-4">
        <legend className="mb-2 text-sm font-medium">
          Variants (the first is the control; shares sum to 100%)
        </legend>
        {variants.map((v, i) => (
          <div
            key={i}
            className="grid gap-3 border border-stone-200 p-3 md:grid-cols-[6rem_6rem_minmax(0,1fr)]"
            data-testid="experiment-variant"
          >
            <div className="grid content-start gap-1">
              <Label htmlFor={`variant-${i}-name`}>
                Name<span className="sr-only"> of variant {i + 1}</span>
              </Label>
              <Input
                id={`variant-${i}-name`}
                value={v.name}
                onChange={(e) => change(i, { name: e.target.value })}
              />
            </div>
            <div className="grid content-start gap-1">
              <Label htmlFor={`variant-${i}-share`}>
                Share %<span className="sr-only"> of variant {i + 1}</span>
              </Label>
              <Input
                id={`variant-${i}-share`}
                type="number"
                min={1}
                max={99}
                value={v.share}
                onChange={(e) => change(i, { share: e.target.value })}
              />
            </div>
            <div className="grid gap-2">
              <label className="flex min-h-11 items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={v.ownWeights}
                  onChange={(e) => change(i, { ownWeights: e.target.checked })}
                  data-testid={`variant-${i}-own-weights`}
                  className="size-4 accent-ink"
                />
                Own blend weights<span className="sr-only"> of variant {i + 1}</span>
              </label>
              {v.ownWeights ? (
                <div className="grid grid-cols-3 gap-2">
                  {(["cf", "text", "image"] as const).map((part) => (
                    <div key={part} className="grid gap-1">
                      <Label htmlFor={`variant-${i}-${part}`}>
                        {part}
                        <span className="sr-only"> of variant {i + 1}</span>
                      </Label>
                      <Input
                        id={`variant-${i}-${part}`}
                        type="number"
                        step="0.05"
                        min={0}
                        max={10}
                        value={v[part]}
                        onChange={(e) => change(i, { [part]: e.target.value })}
                      />
                    </div>
                  ))}
                </div>
              ) : null}
              <div className="grid gap-2 sm:grid-cols-3">
                <div className="grid gap-1">
                  <Label htmlFor={`variant-${i}-rules`}>
                    Rules<span className="sr-only"> of variant {i + 1}</span>
                  </Label>
                  <select
                    id={`variant-${i}-rules`}
                    className={selectClass}
                    value={v.rules}
                    onChange={(e) => change(i, { rules: e.target.value as Choice })}
                  >
                    <option value="shop">as the shop</option>
                    <option value="on">on</option>
                    <option value="off">off</option>
                  </select>
                </div>
                <div className="grid gap-1">
                  <Label htmlFor={`variant-${i}-bought`}>
                    Leave out bought<span className="sr-only"> of variant {i + 1}</span>
                  </Label>
                  <select
                    id={`variant-${i}-bought`}
                    className={selectClass}
                    value={v.excludeBought}
                    onChange={(e) => change(i, { excludeBought: e.target.value as Choice })}
                  >
                    <option value="shop">as the shop</option>
                    <option value="on">yes</option>
                    <option value="off">no</option>
                  </select>
                </div>
                <div className="grid gap-1">
                  <Label htmlFor={`variant-${i}-ranker`}>
                    Ranker<span className="sr-only"> of variant {i + 1}</span>
                  </Label>
                  <select
                    id={`variant-${i}-ranker`}
                    className={selectClass}
                    value={v.ranker}
                    onChange={(e) =>
                      change(i, { ranker: e.target.value as VariantDraft["ranker"] })
                    }
                  >
                    <option value="shop">as the shop</option>
                    <option value="blend">the blend</option>
                    <option value="learned">learned</option>
                  </select>
                </div>
                <div className="grid gap-1">
                  <Label htmlFor={`variant-${i}-candidates`}>
                    Candidates<span className="sr-only"> of variant {i + 1}</span>
                  </Label>
                  <Input
                    id={`variant-${i}-candidates`}
                    type="number"
                    min={12}
                    max={2000}
                    placeholder="as the shop"
                    value={v.candidates}
                    onChange={(e) => change(i, { candidates: e.target.value })}
                  />
                </div>
              </div>
            </div>
          </div>
        ))}
        <div className="flex gap-2">
          <Button
            type="button"
            variant="outline"
            className="h-11"
            disabled={variants.length >= 4}
            onClick={() =>
              setVariants((now) => [...now, blank(String.fromCharCode(65 + now.length), "0")])
            }
          >
            Add a variant
          </Button>
          <Button
            type="button"
            variant="ghost"
            className="h-11"
            disabled={variants.length <= 2}
            onClick={() => setVariants((now) => now.slice(0, -1))}
          >
            Remove the last
          </Button>
        </div>
      </fieldset>
      <div>
        <Button type="submit" className="h-11" disabled={pending} data-testid="experiment-start">
          {pending ? "Starting…" : "Start the experiment"}
        </Button>
      </div>
      {result ? (
        <Notice
          variant={result.ok ? "success" : "error"}
          role={result.ok ? "status" : "alert"}
          data-testid="experiment-message"
        >
          {result.message}
        </Notice>
      ) : null}
    </form>
  );
}
