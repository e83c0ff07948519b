import { apiFetch } from "@/lib/api/client";
import type { CustomerPreferences, Preferences, SessionToken } from "@/lib/api/types";

/** Demo sign-in: a bearer token for a known customer id (404 for an unknown one). */
export function createSession(customerId: string): Promise<SessionToken> {
  return apiFetch<SessionToken>("/session", { json: { customer_id: customerId } });
}

export function getPreferences(customerId: string, token: string): Promise<CustomerPreferences> {
  return apiFetch<CustomerPreferences>(`/customers/${encodeURIComponent(customerId)}/preferences`, {
    token,
  });
}

export function putPreferences(
  customerId: string,
  token: string,
  prefs: Preferences,
): Promise<CustomerPreferences> {
  return apiFetch<CustomerPreferences>(`/customers/${encodeURIComponent(customerId)}/preferences`, {
    method: "PUT",
    json: prefs,
    token,
  });
}
