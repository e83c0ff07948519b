const HEX64 = /^[0-9a-f]{64}$/;
const ARTICLE = /^\d{10}$/;

export function isCustomerId(text: string): boolean {
  return HEX64.test(text);
}

/** A pasted customer id, trimmed and lower-cased, or null when it is not 64 hex characters. */
export function normaliseCustomerId(text: string): string | null {
  const id = text.trim().toLowerCase();
  return HEX64.test(id) ? id : null;
}

const REC_ID = /^[A-Za-z0-9_.-]{1,160}$/;

/**
 * The `rec_id` of a ranked list (`surface.version.variant.issued.nonce.signature`), as a
 * product link carries it; the API checks its signature.
 */
export function isRecId(text: unknown): text is string {
  return typeof text === "string" && REC_ID.test(text);
}

/** An item's 1-based position in its list. */
export function isPosition(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1000;
}

/** Where a product was opened from: its list's `rec_id` and its position there. */
export interface FromList {
  recId: string;
  position: number;
}

/** `?rec=…&pos=…` of a product page, when both are well formed. */
export function fromList(rec: unknown, pos: unknown): FromList | null {
  const position = typeof pos === "string" && /^\d{1,4}$/.test(pos) ? Number(pos) : NaN;
  return isRecId(rec) && isPosition(position) ? { recId: rec, position } : null;
}

/** Article ids are 10-digit zero-padded strings ("0108775015"), never numbers. */
export function isArticleId(text: string): boolean {
  return ARTICLE.test(text);
}
