import "server-only";

import { open } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

/** A customer to sign in as with one click (the demo has no real accounts). */
export interface SampleCustomer {
  id: string;
  age: string;
  club: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEAD_BYTES = 64 * 1024;

/**
 * The first few customers of the data set's customers.csv (`LOOKBOOK_DATA_DIR`, the API's own
 * setting; relative paths are from the repository root as for the API), or the ids listed in
 * `LOOKBOOK_SAMPLE_CUSTOMERS`. Only the head of the file is read: the real one is 200 MB.
 */
export async function sampleCustomers(count = 6): Promise<SampleCustomer[]> {
  const listed = (process.env.LOOKBOOK_SAMPLE_CUSTOMERS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => HEX64.test(s));
  if (listed.length > 0) return listed.slice(0, count).map((id) => ({ id, age: "", club: "" }));
  const dir = process.env.LOOKBOOK_DATA_DIR ?? "data/demo";
  // The data folder is chosen at run time: nothing for the build to trace.
  const base = isAbsolute(dir) ? dir : resolve(/*turbopackIgnore: true*/ process.cwd(), "..", dir);
  const file = join(/*turbopackIgnore: true*/ base, "customers.csv");
  try {
    const handle = await open(file, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
      return parseCustomers(buffer.subarray(0, bytesRead).toString("utf8"), count);
    } finally {
      await handle.close();
    }
  } catch {
    return []; // no data folder next to the storefront: the id field still works
  }
}

/** customer_id, FN, Active, club_member_status, fashion_news_frequency, age, postal_code */
function parseCustomers(text: string, count: number): SampleCustomer[] {
  const lines = text.split("\n").slice(1, -1); // header; the last line may be cut short
  const out: SampleCustomer[] = [];
  for (const line of lines) {
    const cols = line.trim().split(",");
    const id = cols[0] ?? "";
    if (!HEX64.test(id)) continue;
    out.push({ id, age: (cols[5] ?? "").replace(/\.0$/, ""), club: cols[3] ?? "" });
    if (out.length >= count) break;
  }
  return out;
}
