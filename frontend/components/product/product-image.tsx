import { cn } from "@/lib/utils";

/**
 * An article photo through the same-origin `/api` proxy. A plain <img>: the catalog's photos are
 * small JPEGs the API already serves with cache headers, so an optimiser would add a hop and no
 * gain. `priority` images (above the fold) load eagerly with high fetch priority.
 */
export function ProductImage({
  imageUrl,
  alt,
  priority = false,
  className,
  sizes,
}: {
  imageUrl: string;
  alt: string;
  priority?: boolean;
  className?: string;
  sizes?: string;
}) {
  return (
    <img
      src={`/api${imageUrl}`}
      alt={alt}
      width={384}
      height={512}
      sizes={sizes}
      loading={priority ? "eager" : "lazy"}
      fetchPriority={priority ? "high" : "auto"}
      decoding="async"
      data-product-image=""
      className={cn("aspect-[3/4] w-full bg-photo object-cover", className)}
    />
  );
}
