import Link from "next/link";

import { ColourDot } from "@/components/product/colour-dot";
import { ProductImage } from "@/components/product/product-image";
import type { Article } from "@/lib/api/types";
import { availabilityLabel } from "@/lib/catalog";
import { cn } from "@/lib/utils";

/** The product in each of its colours: the current one marked, the others one click away. */
export function Colourways({ current, variants }: { current: Article; variants: Article[] }) {
  const all = [current, ...variants].sort((a, b) => a.article_id.localeCompare(b.article_id));
  return (
    <div data-testid="colourways">
      <p className="flex items-center gap-2 text-sm">
        <ColourDot name={current.colour_group_name} />
        <span>
          Colour: <span className="font-semibold">{current.colour_group_name}</span>
        </span>
        {variants.length > 0 ? (
          <span className="text-stone-500">· {all.length} colours</span>
        ) : null}
      </p>
      {variants.length > 0 ? (
        <ul aria-label="Colours" className="mt-3 flex flex-wrap gap-2">
          {all.map((v) => {
            const here = v.article_id === current.article_id;
            const unavailable = availabilityLabel(v);
            const notes = [here ? "selected" : null, unavailable?.toLowerCase()].filter(Boolean);
            return (
              <li key={v.article_id} className="w-16">
                <Link
                  href={`/product/${v.article_id}`}
                  aria-label={`${v.colour_group_name}${notes.length ? ` (${notes.join(", ")})` : ""}`}
                  title={unavailable ?? undefined}
                  aria-current={here ? "true" : undefined}
                  data-testid="colourway"
                  data-colour={v.colour_group_name}
                  className={cn(
                    "block border-2 outline-none focus-visible:ring-2 focus-visible:ring-ink focus-visible:ring-offset-2",
                    here ? "border-ink" : "border-transparent hover:border-stone-300",
                  )}
                >
                  <ProductImage
                    imageUrl={v.image_url}
                    alt=""
                    className={unavailable && !here ? "opacity-40" : undefined}
                  />
                </Link>
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}
