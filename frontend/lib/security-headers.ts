/**
 * The storefront's security headers, built per request by proxy.ts. Pure: no Next.js, no
 * environment, so the policy is unit-tested directive by directive.
 */

/** A fresh, unguessable nonce for one response (base64 of 16 random bytes). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The Content-Security-Policy for a page rendered with `nonce`.
 *
 * - Scripts: only those carrying the nonce (Next.js puts it on its own scripts and inline
 *   payloads) and what they load (`'strict-dynamic'`); `'self'` is the fallback for browsers
 *   without `'strict-dynamic'`. `next dev` also needs `'unsafe-eval'` (React's error stacks).
 * - Styles: stylesheets from this origin and `<style>` elements with the nonce; `style="…"`
 *   attributes are allowed (`style-src-attr`), as the colour swatches, score bars, Radix
 *   primitives and Framer Motion set them and they run no code. `next dev` injects its CSS as
 *   `<style>` elements without the nonce, so there styles are unrestricted.
 * - Images from this origin (product photos come through the `/api/*` proxy), `data:` and
 *   `blob:` (the photo-search preview); fetches only to this origin; no plugins, no framing,
 *   no `<base>` elsewhere, forms post only here.
 */
export function contentSecurityPolicy(nonce: string, dev = false): string {
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    [
      "script-src",
      "'self'",
      `'nonce-${nonce}'`,
      "'strict-dynamic'",
      ...(dev ? ["'unsafe-eval'"] : []),
    ],
    ["style-src", "'self'", dev ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    ["style-src-attr", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'"],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}

/** The headers that need no nonce (also set on `/api/*` answers through the proxy). */
export function baseSecurityHeaders(): Record<string, string> {
  return {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
  };
}
