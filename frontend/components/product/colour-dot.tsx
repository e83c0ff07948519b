import { isLightSwatch, swatchColour } from "@/lib/colours";
import { cn } from "@/lib/utils";

/** A decorative colour dot; the colour's name is always written next to it or in a label. */
export function ColourDot({ name, className }: { name: string; className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cn(
        "inline-block size-3 shrink-0 rounded-full",
        isLightSwatch(name) ? "ring-1 ring-stone-300" : "",
        className,
      )}
      style={{ backgroundColor: swatchColour(name) }}
    />
  );
}
