const formatters = new Map<string, Intl.NumberFormat>();

/** "€24.99": prices come in the shop currency the API names. */
export function formatPrice(amount: number, currency: string): string {
  let fmt = formatters.get(currency);
  if (!fmt) {
    try {
      fmt = new Intl.NumberFormat("en-IE", { style: "currency", currency });
    } catch {
      fmt = new Intl.NumberFormat("en-IE", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    formatters.set(currency, fmt);
  }
  return fmt.format(amount);
}

/** A 0..1 score as a percentage with no decimals ("87%"); "–" when absent. */
export function formatPart(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

/** The first and last characters of a 64-hex customer id, for display. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}
