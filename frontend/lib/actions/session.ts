"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";

import { ApiError } from "@/lib/api/client";
import { createSession } from "@/lib/api/customers";
import { userMessage } from "@/lib/api/errors";
import { normaliseCustomerId } from "@/lib/ids";
import { clearSession, setSession } from "@/lib/session";

export interface SignInState {
  error: string | null;
}

/** Only same-site paths: a crafted `next` must not send the user to another site. */
function safeNext(value: FormDataEntryValue | null): string {
  const path = typeof value === "string" ? value : "";
  return path.startsWith("/") && !path.startsWith("//") ? path : "/";
}

export async function signIn(_prev: SignInState, form: FormData): Promise<SignInState> {
  const id = normaliseCustomerId(String(form.get("customer_id") ?? ""));
  if (!id) return { error: "A customer id is 64 characters, digits 0–9 and letters a–f." };
  let token;
  try {
    token = await createSession(id);
  } catch (err) {
    if (err instanceof ApiError && err.isNotFound) {
      return { error: "There is no customer with this id in the catalog." };
    }
    return { error: userMessage(err) };
  }
  await setSession({ customerId: id, token: token.access_token }, token.expires_in);
  revalidatePath("/", "layout");
  redirect(safeNext(form.get("next")));
}

export async function signOut(): Promise<void> {
  await clearSession();
  revalidatePath("/", "layout");
  redirect("/");
}
