import { describe, expect, it, vi } from "vitest";

vi.mock("next/headers", () => ({ cookies: vi.fn() }));
vi.mock("next/navigation", () => ({ redirect: vi.fn() }));

import { safeNext, seal, type Staff, unseal } from "@/lib/staff";

const STAFF: Staff = { name: "ana", role: "merchandiser", key: "lbk_secret", expires: 2_000 };

describe("the staff session cookie", () => {
  it("opens what it sealed, never showing the key", () => {
    const sealed = seal(STAFF);
    expect(sealed).not.toContain("lbk_secret");
    expect(sealed).not.toContain("ana");
    expect(unseal(sealed, 1_000)).toEqual(STAFF);
  });

  it("refuses an expired, altered or foreign session", () => {
    const sealed = seal(STAFF);
    expect(unseal(sealed, 2_000)).toBeNull();
    const [iv, body, tag] = sealed.split(".") as [string, string, string];
    const flipped = Buffer.from(body, "base64url");
    flipped.writeUInt8(flipped.readUInt8(0) ^ 1, 0);
    expect(unseal([iv, flipped.toString("base64url"), tag].join("."), 1_000)).toBeNull();
    expect(unseal("not.a.session", 1_000)).toBeNull();
    expect(unseal("", 1_000)).toBeNull();
    expect(unseal(seal({ ...STAFF, role: "service" as Staff["role"] }), 1_000)).toBeNull();
  });

  it("only goes back to a page of this site", () => {
    expect(safeNext("/catalog?q=1")).toBe("/catalog?q=1");
    for (const bad of ["//evil.test", "https://evil.test", "\\\\evil", "", undefined]) {
      expect(safeNext(bad)).toBe("/merchandising");
    }
  });
});
