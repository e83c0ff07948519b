import { type NextRequest, NextResponse } from "next/server";

import { baseSecurityHeaders, contentSecurityPolicy, newNonce } from "@/lib/security-headers";

const VISITOR = "lookbook_visitor";
const VISITOR_ID = /^[A-Za-z0-9_-]{8,64}$/;

function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

/**
 * `/api/*` → the Lookbook API, so the browser loads images (and anything else it needs) from
 * one origin. The target is read per request: the same build runs against any API URL.
 */
function toApi(request: NextRequest): NextResponse {
  const base = (process.env.LOOKBOOK_API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
  const rest = request.nextUrl.pathname.replace(/^\/api/, "");
  const response = NextResponse.rewrite(new URL(`${base}${rest}${request.nextUrl.search}`));
  for (const [name, value] of Object.entries(baseSecurityHeaders())) {
    response.headers.set(name, value);
  }
  return response;
}

/**
 * A page: a fresh nonce and the CSP that allows only scripts carrying it. The policy goes on the
 * request too, where Next.js reads the nonce and puts it on its own scripts (the pages render
 * per request, so each one gets its own).
 */
function withSecurityHeaders(request: NextRequest): NextResponse {
  const nonce = newNonce();
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const forward = new Headers(request.headers);
  forward.set("x-nonce", nonce);
  forward.set("Content-Security-Policy", csp);
  // The anonymous visitor's first-party id: the API counts the lists it served to them
  // (attribution), and it unlocks nothing. Kept a year; the pages read it from the request.
  const given = request.cookies.get(VISITOR)?.value;
  const visitor = given && VISITOR_ID.test(given) ? given : crypto.randomUUID().replaceAll("-", "");
  forward.set("x-visitor-id", visitor);
  const response = NextResponse.next({ request: { headers: forward } });
  if (visitor !== given) {
    response.cookies.set(VISITOR, visitor, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      maxAge: 365 * 24 * 3600,
      secure: process.env.LOOKBOOK_SECURE_COOKIES === "1",
    });
  }
  response.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(baseSecurityHeaders())) {
    response.headers.set(name, value);
  }
  return response;
}

export function proxy(request: NextRequest): NextResponse {
  return isApiPath(request.nextUrl.pathname) ? toApi(request) : withSecurityHeaders(request);
}

export const config = {
  matcher: [
    "/api/:path*",
    // Pages (and their server actions), not the build's static files; a prefetch of a page
    // is an RSC payload with no scripts to allow, so it needs no nonce.
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
