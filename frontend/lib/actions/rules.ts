"use server";

import { revalidatePath } from "next/cache";

import { ApiError, userMessage } from "@/lib/api/errors";
import {
  createRule,
  deleteRule,
  patchRule,
  previewList,
  type PreviewTarget,
} from "@/lib/api/rules";
import type { ListItem, RuleIn } from "@/lib/api/types";
import { getStaff } from "@/lib/staff";

const ENDED = "Your staff session has ended: sign in again.";

/** What the console shows of a list item. */
export interface PreviewItem {
  article_id: string;
  prod_name: string;
  colour_group_name: string;
  product_type_name: string;
  image_url: string;
  /** The rules that moved it; `draft`: the rule being edited moved it. */
  moved: { name: string; action: string; draft: boolean }[];
}

export type RuleResult =
  | { ok: true; message: string; before?: PreviewItem[]; after?: PreviewItem[] }
  | { ok: false; message: string; field: string | null };

function refused(err: unknown): RuleResult {
  const first = err instanceof ApiError && err.kind === "invalid-input" ? err.errors[0] : undefined;
  if (first) {
    const field = first.field.replace(/^preview_rule\./, "");
    return { ok: false, message: `${field}: ${first.message}`, field };
  }
  if (err instanceof ApiError && err.isAuth) {
    return { ok: false, message: `The API refused your key: ${err.detail}`, field: null };
  }
  return { ok: false, message: userMessage(err), field: null };
}

function shown(items: ListItem[]): PreviewItem[] {
  return items.map((i) => ({
    article_id: i.article_id,
    prod_name: i.prod_name,
    colour_group_name: i.colour_group_name,
    product_type_name: i.product_type_name,
    image_url: i.image_url,
    // The draft is not stored yet: the API gives it id 0.
    moved: (i.rules ?? []).map((r) => ({ name: r.name, action: r.action, draft: r.id === 0 })),
  }));
}

/** The surface as shoppers see it now, and with the draft rule applied, side by side. */
export async function previewRule(draft: RuleIn, target: PreviewTarget): Promise<RuleResult> {
  const staff = await getStaff();
  if (!staff) return { ok: false, message: ENDED, field: null };
  try {
    const [before, after] = await Promise.all([
      previewList(target, null, staff.key),
      previewList(target, draft, staff.key),
    ]);
    return {
      ok: true,
      message: "",
      before: shown(before.items),
      after: shown(after.items),
    };
  } catch (err) {
    return refused(err);
  }
}

export async function saveRule(draft: RuleIn): Promise<RuleResult> {
  const staff = await getStaff();
  if (!staff) return { ok: false, message: ENDED, field: null };
  try {
    const rule = await createRule(draft, staff.key);
    revalidatePath("/", "layout"); // every list the rule touches renders afresh
    return { ok: true, message: `Saved “${rule.name}” (rule ${rule.id}, ${rule.status}).` };
  } catch (err) {
    return refused(err);
  }
}

/** The rules table's buttons: enable or disable, delete. */
export async function changeRule(form: FormData): Promise<void> {
  const staff = await getStaff();
  if (!staff) return;
  const id = Number(form.get("id"));
  const intent = String(form.get("intent"));
  if (!Number.isInteger(id) || id < 1) return;
  if (intent === "delete") await deleteRule(id, staff.key);
  else await patchRule(id, { enabled: intent === "enable" }, staff.key);
  revalidatePath("/", "layout");
}
