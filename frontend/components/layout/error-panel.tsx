"use client";

import Link from "next/link";
import { useEffect } from "react";

import { Button } from "@/components/ui/button";

/**
 * What a route shows when rendering failed. Server errors reach the browser without their
 * message (Next redacts it in production), so the text is generic; the digest ties it to the log.
 */
export function ErrorPanel({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest =
    typeof error === "object" && error !== null && "digest" in error ? String(error.digest) : null;
  return (
    <div
      role="alert"
      data-testid="error-panel"
      className="mx-auto flex max-w-xl flex-col items-center gap-4 px-6 py-24 text-center"
    >
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="text-stone-600">
        We could not load this page. The shop may be restarting; please try again in a moment.
      </p>
      <div className="flex gap-3">
        <Button onClick={() => retry()}>Try again</Button>
        <Button asChild variant="outline">
          <Link href="/">Go to the home page</Link>
        </Button>
      </div>
      {digest ? <p className="text-xs text-stone-500">Reference {digest}</p> : null}
    </div>
  );
}
