import "server-only";

import { apiFetch } from "@/lib/api/client";
import type { SampleCustomers } from "@/lib/api/types";

/** A customer to sign in as with one click (the demo has no real accounts). */
export interface SampleCustomer {
  id: string;
  age: string;
  club: string;
  purchases: number | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The customers the API offers for a demo sign-in (`GET /customers/samples`: regular shoppers
 * and one who bought nothing, chosen when the index was built), or the ids listed in
 * `LOOKBOOK_SAMPLE_CUSTOMERS`. An unreachable API gives none: the id field still works.
 */
export async function sampleCustomers(count = 6): Promise<SampleCustomer[]> {
  const listed = (process.env.LOOKBOOK_SAMPLE_CUSTOMERS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => HEX64.test(s));
  if (listed.length > 0) {
    return listed.slice(0, count).map((id) => ({ id, age: "", club: "", purchases: null }));
  }
  try {
    const { items } = await apiFetch<SampleCustomers>("/customers/samples");
    return items.slice(0, count).map((c) => ({
      id: c.customer_id,
      age: c.age == null ? "" : String(c.age),
      club: c.club_member_status ?? "",
      purchases: c.purchases,
    }));
  } catch {
    return [];
  }
}
