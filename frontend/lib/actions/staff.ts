"use server";

import { redirect } from "next/navigation";

import { ApiError, apiFetch } from "@/lib/api/client";
import { userMessage } from "@/lib/api/errors";
import type { Caller } from "@/lib/api/types";
import { clearStaff, safeNext, setStaff, STAFF_TTL_S } from "@/lib/staff";

export interface StaffSignInState {
  message: string;
}

/**
 * Signs a merchandiser or admin in with their own API key: the API says whose key it is
 * (`GET /admin/me`); a shopper's or a service key is refused. The key is kept sealed in an
 * httpOnly cookie; the browser never reads it back.
 */
export async function signInStaff(
  _prev: StaffSignInState,
  form: FormData,
): Promise<StaffSignInState> {
  const key = String(form.get("key") ?? "").trim();
  const next = safeNext(String(form.get("next") ?? ""));
  if (!key) return { message: "Enter your staff API key." };
  let who: Caller;
  try {
    who = await apiFetch<Caller>("/admin/me", { apiKey: key });
  } catch (err) {
    if (err instanceof ApiError && err.isAuth) {
      return { message: "The API does not know this key, or it was revoked." };
    }
    return { message: userMessage(err) };
  }
  if (who.role !== "merchandiser" && who.role !== "admin") {
    return {
      message: `This is a ${who.role} key: the staff area needs a merchandiser or admin key.`,
    };
  }
  await setStaff({
    name: who.key_name ?? who.role,
    role: who.role,
    key,
    expires: Date.now() + STAFF_TTL_S * 1000,
  });
  redirect(next);
}

export async function signOutStaff(): Promise<void> {
  await clearStaff();
  redirect("/staff/sign-in");
}
