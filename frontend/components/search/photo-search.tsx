"use client";

import { ImageUpIcon } from "lucide-react";
import { useActionState, useEffect, useState } from "react";

import { ResultList } from "@/components/search/result-row";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { type PhotoSearchState, searchByPhoto } from "@/lib/actions/search";

const INITIAL: PhotoSearchState = { status: "idle", message: "", items: [], weights: null };

/** Search by an uploaded photo, under the filters of the page's URL. */
export function PhotoSearch({ filters }: { filters: string }) {
  const [state, action, pending] = useActionState(searchByPhoto, INITIAL);
  const [preview, setPreview] = useState<string | null>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  useEffect(() => () => (preview ? URL.revokeObjectURL(preview) : undefined), [preview]);
  return (
    <section
      aria-labelledby="photo-title"
      data-testid="photo-search"
      className="border border-stone-200 bg-canvas p-5"
    >
      <h2 id="photo-title" className="text-lg font-semibold">
        Search by photo
      </h2>
      <form action={action} className="mt-3 flex flex-wrap items-center gap-4">
        <input type="hidden" name="filters" value={filters} />
        <label className="flex cursor-pointer items-center gap-3 border border-dashed border-stone-400 bg-white px-4 py-3 text-sm focus-within:ring-2 focus-within:ring-ink hover:border-ink">
          {preview ? (
            <img src={preview} alt="Chosen photo" className="size-12 object-cover" />
          ) : (
            <ImageUpIcon className="size-6" aria-hidden="true" />
          )}
          <span>{fileName ?? "Choose a JPEG or PNG (max 5 MB)"}</span>
          <input
            type="file"
            name="photo"
            accept="image/jpeg,image/png"
            required
            data-testid="photo-input"
            className="sr-only"
            onChange={(e) => {
              const file = e.target.files?.[0];
              setPreview(file ? URL.createObjectURL(file) : null);
              setFileName(file ? file.name : null);
            }}
          />
        </label>
        <Button type="submit" disabled={pending} data-testid="photo-submit">
          {pending ? "Searching…" : "Find look-alikes"}
        </Button>
      </form>
      <div aria-live="polite" className="mt-4">
        {state.status === "error" ? <Notice variant="error">{state.message}</Notice> : null}
        {state.status === "done" ? (
          <>
            <p className="mb-3 text-sm text-stone-600" data-testid="photo-summary">
              {state.message}
            </p>
            {state.items.length > 0 ? (
              <ResultList
                items={state.items}
                weights={state.weights}
                label="Photo search results"
              />
            ) : null}
          </>
        ) : null}
      </div>
    </section>
  );
}
