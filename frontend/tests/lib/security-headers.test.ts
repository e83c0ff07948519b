import { describe, expect, it } from "vitest";

import { baseSecurityHeaders, contentSecurityPolicy, newNonce } from "@/lib/security-headers";

/** The policy as directive → sources, to assert each one. */
function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(map.has(name), `${name} appears once`).toBe(false);
    map.set(name, sources);
  }
  return map;
}

const NONCE = "c29tZS1ub25jZS12YWx1ZQ==";

describe("contentSecurityPolicy in production", () => {
  const csp = directives(contentSecurityPolicy(NONCE));

  it("allows only scripts with the nonce and what they load, never eval or inline", () => {
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${NONCE}'`, "'strict-dynamic'"]);
  });

  it("allows style elements only with the nonce, style attributes inline", () => {
    expect(csp.get("style-src")).toEqual(["'self'", `'nonce-${NONCE}'`]);
    expect(csp.get("style-src-attr")).toEqual(["'unsafe-inline'"]);
  });

  it("locks down framing, plugins, base, forms and connections", () => {
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'self'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("font-src")).toEqual(["'self'"]);
  });

  it("loads images from this origin, data: and blob: only", () => {
    expect(csp.get("img-src")).toEqual(["'self'", "data:", "blob:"]);
  });

  it("has no unsafe source but inline style attributes", () => {
    const unsafe = [...csp].filter(([, sources]) => sources.some((s) => s.startsWith("'unsafe")));
    expect(unsafe.map(([name]) => name)).toEqual(["style-src-attr"]);
  });

  it("is exactly this header", () => {
    expect(contentSecurityPolicy(NONCE)).toBe(
      `default-src 'self'; script-src 'self' 'nonce-${NONCE}' 'strict-dynamic'; ` +
        `style-src 'self' 'nonce-${NONCE}'; style-src-attr 'unsafe-inline'; ` +
        "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
  });
});

describe("contentSecurityPolicy in development", () => {
  const csp = directives(contentSecurityPolicy(NONCE, true));

  it("adds 'unsafe-eval' for React's dev tooling, still with the nonce", () => {
    expect(csp.get("script-src")).toEqual([
      "'self'",
      `'nonce-${NONCE}'`,
      "'strict-dynamic'",
      "'unsafe-eval'",
    ]);
  });

  it("lets next dev inject its styles", () => {
    expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it("keeps the rest as in production", () => {
    const prod = directives(contentSecurityPolicy(NONCE));
    for (const name of ["frame-ancestors", "object-src", "base-uri", "connect-src", "img-src"]) {
      expect(csp.get(name), name).toEqual(prod.get(name));
    }
  });
});

describe("newNonce", () => {
  it("is base64 of 16 random bytes, fresh each time", () => {
    const nonces = new Set(Array.from({ length: 100 }, () => newNonce()));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(nonce, "base64")).toHaveLength(16);
    }
  });
});

describe("baseSecurityHeaders", () => {
  it("forbids MIME sniffing and sends only the origin to other sites", () => {
    expect(baseSecurityHeaders()).toEqual({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
    });
  });
});
