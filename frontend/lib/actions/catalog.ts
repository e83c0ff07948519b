"use server";

import { revalidatePath } from "next/cache";

import { patchArticle } from "@/lib/api/admin";
import { ApiError, userMessage } from "@/lib/api/errors";
import { confirmation, EDIT_FIELDS, type EditField, editFromForm, messageFor } from "@/lib/catalog";
import { getStaff } from "@/lib/staff";

export interface EditState {
  status: "idle" | "done" | "error";
  message: string;
  /** The field an error belongs to (shown next to it); null: the form as a whole. */
  field: EditField | null;
  /** What the change set, shown at once (another API process may take a second to catch up). */
  applied: { price?: number; in_stock?: boolean; hidden?: boolean };
}

const KEY_MISSING = "Your staff session has ended: sign in again to change the catalog.";

function failed(message: string, field: EditField | null = null): EditState {
  return { status: "error", message, field, applied: {} };
}

/** The API's refusal as the merchandiser should read it, next to the field it names. */
function refused(err: unknown): EditState {
  if (err instanceof ApiError && err.kind === "invalid-input") {
    for (const field of EDIT_FIELDS) {
      const message = messageFor(err.errors, field);
      if (message) return failed(message, field);
    }
    return failed(err.detail);
  }
  if (err instanceof ApiError && err.isAuth) {
    return failed(`The API refused the merchandiser key: ${err.detail}.`);
  }
  if (err instanceof ApiError && err.isNotFound) {
    return failed("This article is no longer in the catalog.");
  }
  return failed(userMessage(err));
}

/**
 * One change from the catalog page (price, stock or visibility), sent with the server's
 * merchandiser key; every page shows it on its next render.
 */
export async function editArticle(_prev: EditState, form: FormData): Promise<EditState> {
  const parsed = editFromForm(form);
  if (!parsed.ok) return failed(parsed.message, parsed.field);
  const staff = await getStaff();
  if (!staff) return failed(KEY_MISSING);
  const key = staff.key;
  const { edit } = parsed;
  try {
    await patchArticle(edit.articleId, edit.patch, key);
  } catch (err) {
    return refused(err);
  }
  // Product pages, Explore, Home and this page all read the article afresh.
  revalidatePath("/", "layout");
  const currency = typeof form.get("currency") === "string" ? String(form.get("currency")) : "EUR";
  return {
    status: "done",
    message: confirmation(edit, currency),
    field: null,
    applied: edit.patch,
  };
}
