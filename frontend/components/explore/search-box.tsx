"use client";

import { SearchIcon, XIcon } from "lucide-react";
import { useEffect, useState } from "react";

import { useFilterNav } from "@/components/explore/filter-nav";
import { withQuery } from "@/lib/filters";

/** Free-text search within the current filters; submitting puts `q` in the URL. */
export function SearchBox({ placeholder = "Search products" }: { placeholder?: string }) {
  const { state, go } = useFilterNav();
  const [text, setText] = useState(state.q);
  useEffect(() => setText(state.q), [state.q]);
  return (
    <form
      role="search"
      className="relative flex w-full max-w-md items-center"
      onSubmit={(e) => {
        e.preventDefault();
        go(withQuery(state, text));
      }}
    >
      <label htmlFor="explore-q" className="sr-only">
        {placeholder}
      </label>
      <SearchIcon
        className="pointer-events-none absolute left-3 size-4 text-stone-500"
        aria-hidden="true"
      />
      <input
        id="explore-q"
        name="q"
        type="search"
        value={text}
        maxLength={500}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        data-testid="search-input"
        className="h-10 w-full border border-stone-300 bg-white pr-10 pl-9 text-sm outline-none placeholder:text-stone-500 focus-visible:border-ink focus-visible:ring-1 focus-visible:ring-ink [&::-webkit-search-cancel-button]:hidden"
      />
      {state.q ? (
        <button
          type="button"
          aria-label="Clear search"
          onClick={() => go(withQuery(state, ""))}
          className="absolute right-1 p-2 outline-none focus-visible:ring-2 focus-visible:ring-ink"
        >
          <XIcon className="size-4" aria-hidden="true" />
        </button>
      ) : null}
    </form>
  );
}
