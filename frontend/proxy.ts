import { type NextRequest, NextResponse } from "next/server";

/**
 * `/api/*` → the Lookbook API, so the browser loads images (and anything else it needs) from
 * one origin. The target is read per request: the same build runs against any API URL.
 */
export function proxy(request: NextRequest): NextResponse {
  const base = (process.env.LOOKBOOK_API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
  const rest = request.nextUrl.pathname.replace(/^\/api/, "");
  return NextResponse.rewrite(new URL(`${base}${rest}${request.nextUrl.search}`));
}

export const config = {
  matcher: "/api/:path*",
};
