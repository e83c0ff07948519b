"use server";

import { revalidatePath } from "next/cache";

import { ApiError, userMessage } from "@/lib/api/errors";
import { createExperiment, stopExperiment } from "@/lib/api/experiments";
import type { ExperimentIn } from "@/lib/api/types";
import { getStaff } from "@/lib/staff";

export type ExperimentResult =
  { ok: true; message: string; id: number } | { ok: false; message: string; field: string | null };

/** Start an experiment; a refusal names the field the API named. */
export async function startExperiment(body: ExperimentIn): Promise<ExperimentResult> {
  const staff = await getStaff();
  if (!staff)
    return { ok: false, message: "Your staff session has ended: sign in again.", field: null };
  try {
    const made = await createExperiment(body, staff.key);
    revalidatePath("/", "layout"); // lists render afresh in their variants
    return {
      ok: true,
      message: `Started “${made.name}” (experiment ${made.id}, ${made.status}).`,
      id: made.id,
    };
  } catch (err) {
    const first =
      err instanceof ApiError && err.kind === "invalid-input" ? err.errors[0] : undefined;
    if (first)
      return { ok: false, message: `${first.field}: ${first.message}`, field: first.field };
    return { ok: false, message: userMessage(err), field: null };
  }
}

/** The experiments list's Stop button. */
export async function stopExperimentAction(form: FormData): Promise<void> {
  const staff = await getStaff();
  if (!staff) return;
  const id = Number(form.get("id"));
  if (!Number.isInteger(id) || id < 1) return;
  await stopExperiment(id, staff.key);
  revalidatePath("/", "layout");
}
