import { SearchIcon } from "lucide-react";
import Form from "next/form";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";

/** Find an article by its id or by words; the lookup lives in the URL (`/catalog?q=…`). */
export function CatalogSearch({ q }: { q: string }) {
  return (
    <Form action="/catalog" role="search" className="flex w-full max-w-xl gap-2">
      <label htmlFor="catalog-q" className="sr-only">
        Article id or words
      </label>
      <Input
        id="catalog-q"
        name="q"
        type="search"
        defaultValue={q}
        maxLength={500}
        placeholder="Article id or words"
        data-testid="catalog-search"
      />
      <Button type="submit">
        <SearchIcon aria-hidden="true" />
        Find
      </Button>
    </Form>
  );
}
