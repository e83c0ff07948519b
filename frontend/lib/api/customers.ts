import { apiFetch } from "@/lib/api/client";
import type {
  ArticleList,
  BuyAgainQuery,
  CustomerPreferences,
  Preferences,
  RecentlyViewedQuery,
  SessionToken,
} from "@/lib/api/types";
import type { Session } from "@/lib/session";

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

function customerPath(session: Session, rest: string): string {
  return `/customers/${encodeURIComponent(session.customerId)}/${rest}`;
}

/** What the signed-in customer viewed or put in the bag lately, newest first. */
export function getRecentlyViewed(
  session: Session,
  query: RecentlyViewedQuery = {},
): Promise<ArticleList> {
  return apiFetch<ArticleList>(customerPath(session, "recently-viewed"), {
    query,
    token: session.token,
  });
}

/** What the signed-in customer bought that people tend to buy again, best first. */
export function getBuyAgain(session: Session, query: BuyAgainQuery = {}): Promise<ArticleList> {
  return apiFetch<ArticleList>(customerPath(session, "buy-again"), {
    query,
    token: session.token,
  });
}
