"use server";

import { revalidatePath } from "next/cache";

import { ApiError } from "@/lib/api/client";
import { putPreferences } from "@/lib/api/customers";
import { userMessage } from "@/lib/api/errors";
import { preferencesFromForm } from "@/lib/preferences";
import { getSession } from "@/lib/session";

export interface SaveState {
  status: "idle" | "saved" | "error";
  message: string;
}

export async function savePreferences(_prev: SaveState, form: FormData): Promise<SaveState> {
  const session = await getSession();
  if (!session) return { status: "error", message: "Please sign in to save preferences." };
  try {
    await putPreferences(session.customerId, session.token, preferencesFromForm(form));
  } catch (err) {
    if (err instanceof ApiError && err.kind === "invalid-input") {
      return { status: "error", message: err.detail };
    }
    return { status: "error", message: userMessage(err) };
  }
  // The feed on Home and Profile reflects the new preferences at once.
  revalidatePath("/", "layout");
  return { status: "saved", message: "Preferences saved. Your feed is updated." };
}
