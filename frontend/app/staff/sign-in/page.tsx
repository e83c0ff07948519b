import type { Metadata } from "next";

import { StaffSignInForm } from "@/components/staff/sign-in-form";
import { safeNext } from "@/lib/staff";

export const metadata: Metadata = { title: "Staff sign-in" };

export default async function StaffSignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { next } = await searchParams;
  return (
    <div className="mx-auto max-w-screen-md px-4 pt-10 sm:px-6">
      <h1 className="text-3xl font-semibold tracking-tight">Staff sign-in</h1>
      <p className="mt-2 text-sm text-stone-700">
        The catalog and merchandising tools act with your own merchandiser or admin key, so the
        audit trail names you. The key stays on the storefront&apos;s server for eight hours; sign
        out when you are done. An admin creates keys with{" "}
        <code className="bg-stone-100 px-1">python -m api keys create --role merchandiser</code>.
      </p>
      <StaffSignInForm next={safeNext(typeof next === "string" ? next : undefined)} />
    </div>
  );
}
