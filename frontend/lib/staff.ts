import "server-only";

import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";

/**
 * The staff sign-in: a merchandiser or admin signs in with their own API key, which the
 * storefront's server keeps in an httpOnly, SameSite=Strict cookie, sealed (AES-256-GCM) with a
 * secret of the server's own, so the browser can neither read the key nor forge a session. Each
 * staff write goes to the API with that person's key, so the audit trail names them. A shopper's
 * session is another cookie and never opens a staff page.
 */
export interface Staff {
  /** The key's name, as the audit trail shows it. */
  name: string;
  role: "merchandiser" | "admin";
  key: string;
  /** When the session ends (ms since the epoch). */
  expires: number;
}

export const STAFF_COOKIE = "lookbook_staff";
/** A staff session lasts a working day. */
export const STAFF_TTL_S = 8 * 3600;

const SECRET_KEY = Symbol.for("lookbook.staffSecret");

/**
 * `LOOKBOOK_STAFF_SECRET` (any string; every storefront process of a shop sets the same one), or a
 * random one per process: sessions then end when the server restarts.
 */
function secret(): Buffer {
  const given = process.env.LOOKBOOK_STAFF_SECRET?.trim();
  if (given) return createHash("sha256").update(given).digest();
  const holder = globalThis as unknown as Record<symbol, Buffer | undefined>;
  holder[SECRET_KEY] ??= randomBytes(32);
  return holder[SECRET_KEY];
}

export function seal(staff: Staff): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", secret(), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(staff), "utf8"), cipher.final()]);
  return [iv, body, cipher.getAuthTag()].map((b) => b.toString("base64url")).join(".");
}

export function unseal(value: string, now = Date.now()): Staff | null {
  const [iv, body, tag, ...rest] = value.split(".").map((p) => Buffer.from(p, "base64url"));
  if (!iv || !body || !tag || rest.length) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", secret(), iv);
    decipher.setAuthTag(tag);
    const text = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    const staff = JSON.parse(text) as Staff;
    if (typeof staff.expires !== "number" || staff.expires <= now) return null;
    if (staff.role !== "merchandiser" && staff.role !== "admin") return null;
    return staff;
  } catch {
    return null; // tampered with, or sealed by another secret
  }
}

export async function getStaff(): Promise<Staff | null> {
  const jar = await cookies();
  const value = jar.get(STAFF_COOKIE)?.value;
  return value ? unseal(value) : null;
}

export async function setStaff(staff: Staff): Promise<void> {
  const jar = await cookies();
  jar.set(STAFF_COOKIE, seal(staff), {
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    secure: process.env.LOOKBOOK_SECURE_COOKIES === "1",
    maxAge: Math.max(1, Math.floor((staff.expires - Date.now()) / 1000)),
  });
}

export async function clearStaff(): Promise<void> {
  const jar = await cookies();
  jar.delete(STAFF_COOKIE);
}

/** Only a path of this site (no `//host`, no scheme): where to go after signing in. */
export function safeNext(next: string | null | undefined, fallback = "/merchandising"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) {
    return fallback;
  }
  return next;
}

/** The signed-in staff member, or a redirect to the staff sign-in that comes back to `here`. */
export async function requireStaff(here: string): Promise<Staff> {
  const staff = await getStaff();
  if (!staff) redirect(`/staff/sign-in?next=${encodeURIComponent(safeNext(here))}`);
  return staff;
}
