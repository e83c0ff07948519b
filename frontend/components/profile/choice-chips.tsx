import { ColourDot } from "@/components/product/colour-dot";
import { cn } from "@/lib/utils";

/**
 * Multiple choice as native checkboxes styled as chips: they post with the form, need no
 * script, and keep the browser's own keyboard and screen reader behaviour.
 */
export function ChoiceChips({
  legend,
  name,
  options,
  selected,
  swatches = false,
}: {
  legend: string;
  name: string;
  options: string[];
  selected: string[];
  swatches?: boolean;
}) {
  const all = [...options, ...selected.filter((s) => !options.includes(s))];
  return (
    <fieldset data-testid={`choices-${name}`}>
      <legend className="mb-3 text-xs font-semibold uppercase tracking-wider">{legend}</legend>
      <div className="flex flex-wrap gap-2">
        {all.map((option) => (
          <label key={option} className="relative cursor-pointer">
            <input
              type="checkbox"
              name={name}
              value={option}
              defaultChecked={selected.includes(option)}
              className="peer absolute inset-0 size-full cursor-pointer opacity-0"
            />
            <span
              className={cn(
                "flex items-center gap-2 border border-stone-300 px-3 py-1.5 text-sm transition-colors",
                "peer-checked:border-ink peer-checked:bg-ink peer-checked:text-white",
                "peer-focus-visible:ring-2 peer-focus-visible:ring-ink peer-focus-visible:ring-offset-2",
              )}
            >
              {swatches ? <ColourDot name={option} className="ring-1 ring-white/60" /> : null}
              {option}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
