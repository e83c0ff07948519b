/**
 * The merchandiser catalog page's logic, pure so it is unit-tested: what a lookup asks for, what
 * an edit form says to change, and how an article's availability reads.
 */
import type { FieldError } from "@/lib/api/errors";
import { formatPrice } from "@/lib/format";
import { isArticleId } from "@/lib/ids";

const MAX_QUERY_LENGTH = 500;

/** An article id (one article), words (a text search), or nothing (the newest articles). */
export type CatalogLookup =
  { kind: "id"; id: string } | { kind: "text"; q: string } | { kind: "newest" };

/** The `q` of the catalog page's URL as a lookup; a 10-digit number is taken as an id. */
export function parseLookup(raw: string | readonly string[] | undefined): CatalogLookup {
  const first = typeof raw === "string" ? raw : raw?.[0];
  const q = (first ?? "").trim().slice(0, MAX_QUERY_LENGTH);
  if (q === "") return { kind: "newest" };
  if (isArticleId(q)) return { kind: "id", id: q };
  return { kind: "text", q };
}

export type Availability = "available" | "out-of-stock" | "hidden";

/** Hidden wins over out of stock: a hidden article is not for sale whatever its stock. */
export function availability(article: { in_stock: boolean; hidden: boolean }): Availability {
  if (article.hidden) return "hidden";
  return article.in_stock ? "available" : "out-of-stock";
}

/** What a shopper reads on a card or a product page; null for an article on sale. */
export function availabilityLabel(article: { in_stock: boolean; hidden: boolean }): string | null {
  const state = availability(article);
  if (state === "hidden") return "Not available";
  return state === "out-of-stock" ? "Out of stock" : null;
}

export type PriceParse = { ok: true; value: number } | { ok: false; message: string };

const NUMBER = /^-?\d+(?:[.,]\d+)?$/;

/**
 * A typed price ("24.99", "24,99", "25"). Only the form is checked here; the range (not
 * negative, not absurd) is the API's to judge, and its 422 is shown next to the field.
 */
export function parsePrice(text: string): PriceParse {
  const t = text.trim();
  if (t === "") return { ok: false, message: "Enter a price." };
  if (!NUMBER.test(t)) return { ok: false, message: "Enter a price as a number, such as 24.99." };
  const [, decimals = ""] = t.split(/[.,]/);
  if (decimals.length > 2) return { ok: false, message: "Use at most two decimals." };
  return { ok: true, value: Number(t.replace(",", ".")) };
}

/** The fields the catalog page edits; an error on any other field is shown for the form. */
export const EDIT_FIELDS = ["price", "in_stock", "hidden"] as const;
export type EditField = (typeof EDIT_FIELDS)[number];

/** One change: the body of `PATCH /admin/articles/{id}`, one field at a time. */
export type EditPatch = { price: number } | { in_stock: boolean } | { hidden: boolean };

export interface CatalogEdit {
  articleId: string;
  field: EditField;
  patch: EditPatch;
}

export type EditParse =
  { ok: true; edit: CatalogEdit } | { ok: false; field: EditField | null; message: string };

function text(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
}

/**
 * What an edit form asks for. The pressed button's `intent` says which change: `price` (the
 * typed price), `in_stock:true|false` or `hidden:true|false`.
 */
export function editFromForm(form: FormData): EditParse {
  const articleId = text(form, "article_id");
  if (!isArticleId(articleId)) {
    return { ok: false, field: null, message: "Reload the page and try again." };
  }
  const intent = text(form, "intent");
  if (intent === "price") {
    const price = parsePrice(text(form, "price"));
    if (!price.ok) return { ok: false, field: "price", message: price.message };
    return { ok: true, edit: { articleId, field: "price", patch: { price: price.value } } };
  }
  const m = /^(in_stock|hidden):(true|false)$/.exec(intent);
  if (!m) return { ok: false, field: null, message: "Reload the page and try again." };
  const field = m[1] as "in_stock" | "hidden";
  const on = m[2] === "true";
  const patch = field === "in_stock" ? { in_stock: on } : { hidden: on };
  return { ok: true, edit: { articleId, field, patch } };
}

/** What the shop does now, in a sentence for the merchandiser. */
export function confirmation(edit: CatalogEdit, currency: string): string {
  const p = edit.patch;
  if ("price" in p) return `Price set to ${formatPrice(p.price, currency)}: the shop shows it now.`;
  if ("in_stock" in p) {
    return p.in_stock
      ? "Back in stock: it is in the shop's lists again."
      : "Marked out of stock: it has left every shop list; its page says so.";
  }
  return p.hidden
    ? "Hidden: it has left every shop list; its page says it is not available."
    : "Shown in the shop again.";
}

/**
 * The API's 422 message for one field (`price`, or `items.0.price` in a batch), else null.
 */
export function messageFor(errors: readonly FieldError[], field: string): string | null {
  const hit = errors.find((e) => e.field === field || e.field.endsWith(`.${field}`));
  return hit ? hit.message : null;
}
