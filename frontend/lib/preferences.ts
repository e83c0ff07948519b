import type { Preferences } from "@/lib/api/types";

/** The API's bounds on what a customer may save. */
const MAX_VALUES = 20;
const MAX_VALUE_LENGTH = 100;
const MAX_STYLE = 300;
const MAX_PRICE = 1_000_000;

function list(form: FormData, key: string): string[] {
  const kept = form
    .getAll(key)
    .map((v) => (typeof v === "string" ? v.trim() : ""))
    .filter((v) => v !== "" && v.length <= MAX_VALUE_LENGTH);
  return [...new Set(kept)].slice(0, MAX_VALUES);
}

function amount(form: FormData, key: string): number | null {
  const raw = form.get(key);
  if (typeof raw !== "string" || raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.round(n * 100) / 100, MAX_PRICE) : null;
}

/** The preferences a profile form describes; a reversed price range is put the right way round. */
export function preferencesFromForm(form: FormData): Preferences {
  let min = amount(form, "min_price");
  let max = amount(form, "max_price");
  if (min !== null && max !== null && min > max) [min, max] = [max, min];
  const style = form.get("style");
  return {
    favourite_categories: list(form, "category"),
    favourite_colours: list(form, "colour"),
    min_price: min,
    max_price: max,
    style: typeof style === "string" ? style.trim().slice(0, MAX_STYLE) : "",
  };
}
