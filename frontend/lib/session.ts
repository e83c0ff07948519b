import "server-only";

import { cookies } from "next/headers";

import { isCustomerId } from "@/lib/ids";

/** The demo sign-in: the customer's id and bearer token, in httpOnly cookies. */
export interface Session {
  customerId: string;
  token: string;
}

const CUSTOMER = "lookbook_customer";
const TOKEN = "lookbook_token";

export async function getSession(): Promise<Session | null> {
  const jar = await cookies();
  const customerId = jar.get(CUSTOMER)?.value;
  const token = jar.get(TOKEN)?.value;
  if (!customerId || !token || !isCustomerId(customerId)) return null;
  return { customerId, token };
}

/**
 * Whether the session came from the demo sign-in. It is the storefront's only sign-in so far
 * (`POST /session`, which the API offers only in its demo mode), so every session is one; a
 * shop's own sign-in would answer false here. Controls that only make sense in a demo, such as
 * "Buy now" (a purchase with no checkout), ask this, in the page and again in the action.
 */
export function isDemoSession(session: Session | null): session is Session {
  return session !== null;
}

export async function setSession(session: Session, maxAgeSeconds: number): Promise<void> {
  const jar = await cookies();
  const options = {
    httpOnly: true,
    sameSite: "lax" as const,
    path: "/",
    // Secure cookies are dropped on plain http://127.0.0.1, where the demo and the tests run.
    secure: process.env.LOOKBOOK_SECURE_COOKIES === "1",
    maxAge: maxAgeSeconds,
  };
  jar.set(CUSTOMER, session.customerId, options);
  jar.set(TOKEN, session.token, options);
}

export async function clearSession(): Promise<void> {
  const jar = await cookies();
  jar.delete(CUSTOMER);
  jar.delete(TOKEN);
}
