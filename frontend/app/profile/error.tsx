"use client";

import { ErrorPanel } from "@/components/layout/error-panel";

export default function ProfileError({ error, retry }: { error: unknown; retry: () => void }) {
  return <ErrorPanel error={error} retry={retry} />;
}
