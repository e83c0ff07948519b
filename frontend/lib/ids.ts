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

/** Article ids are 10-digit zero-padded strings ("0108775015"), never numbers. */
export function isArticleId(text: string): boolean {
  return ARTICLE.test(text);
}
