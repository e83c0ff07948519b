"use client";

import { useActionState } from "react";

import { PriceRange } from "@/components/explore/price-range";
import { ChoiceChips } from "@/components/profile/choice-chips";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { Notice } from "@/components/ui/notice";
import { Textarea } from "@/components/ui/textarea";
import { type SaveState, savePreferences } from "@/lib/actions/preferences";
import type { CustomerPreferences } from "@/lib/api/types";

const INITIAL: SaveState = { status: "idle", message: "" };

/** Favourite categories and colours, a price range and a style sentence; saved in one go. */
export function PreferencesForm({
  prefs,
  categories,
  colours,
  priceBounds,
  currency,
}: {
  prefs: CustomerPreferences;
  categories: string[];
  colours: string[];
  priceBounds: [number, number] | null;
  currency: string;
}) {
  const [state, action, pending] = useActionState(savePreferences, INITIAL);
  return (
    <form action={action} className="flex flex-col gap-8" data-testid="preferences-form">
      <ChoiceChips
        legend="Favourite categories"
        name="category"
        options={categories}
        selected={prefs.favourite_categories ?? []}
      />
      <ChoiceChips
        legend="Favourite colours"
        name="colour"
        options={colours}
        selected={prefs.favourite_colours ?? []}
        swatches
      />
      {priceBounds ? (
        <fieldset className="max-w-sm">
          <legend className="mb-3 text-xs font-semibold uppercase tracking-wider">
            Price range
          </legend>
          <PriceRange
            bounds={priceBounds}
            value={[prefs.min_price ?? null, prefs.max_price ?? null]}
            currency={currency}
            names={{ min: "min_price", max: "max_price" }}
          />
        </fieldset>
      ) : null}
      <div className="flex max-w-xl flex-col gap-2">
        <Label htmlFor="style" className="text-xs font-semibold uppercase tracking-wider">
          Your style in a sentence
        </Label>
        <Textarea
          id="style"
          name="style"
          maxLength={300}
          defaultValue={prefs.style ?? ""}
          placeholder="For example: relaxed linen basics in earthy colours"
        />
      </div>
      <div className="flex flex-wrap items-center gap-4">
        <Button type="submit" disabled={pending} data-testid="save-preferences">
          {pending ? "Saving…" : "Save preferences"}
        </Button>
        <div role="status" aria-live="polite" data-testid="save-status">
          {state.status === "saved" ? <Notice variant="success">{state.message}</Notice> : null}
          {state.status === "error" ? <Notice variant="error">{state.message}</Notice> : null}
        </div>
      </div>
    </form>
  );
}
