"use client";

import { ErrorPanel } from "@/components/layout/error-panel";

export default function HomeError({ error, retry }: { error: unknown; retry: () => void }) {
  return <ErrorPanel error={error} retry={retry} />;
}
