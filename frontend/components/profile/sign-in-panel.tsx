"use client";

import { useActionState } from "react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Notice } from "@/components/ui/notice";
import { type SignInState, signIn } from "@/lib/actions/session";
import { shortId } from "@/lib/format";
import type { SampleCustomer } from "@/lib/samples";

const INITIAL: SignInState = { error: null };

/** Demo sign-in: one click on a sample customer, or any customer id typed in. */
export function SignInPanel({ samples, next = "/" }: { samples: SampleCustomer[]; next?: string }) {
  const [state, action, pending] = useActionState(signIn, INITIAL);
  return (
    <div className="flex flex-col gap-10" data-testid="sign-in-panel">
      {samples.length > 0 ? (
        <section aria-labelledby="samples-title">
          <h2 id="samples-title" className="text-lg font-semibold">
            Sign in as a sample customer
          </h2>
          <ul
            className="mt-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-3"
            data-testid="sample-customers"
          >
            {samples.map((c, i) => (
              <li key={c.id}>
                <form action={action}>
                  <input type="hidden" name="customer_id" value={c.id} />
                  <input type="hidden" name="next" value={next} />
                  <button
                    type="submit"
                    disabled={pending}
                    data-testid="sample-customer"
                    data-customer-id={c.id}
                    className="flex w-full flex-col items-start gap-1 border border-stone-300 px-4 py-3 text-left transition-colors outline-none hover:border-ink focus-visible:ring-2 focus-visible:ring-ink disabled:opacity-50"
                  >
                    <span className="font-medium">Customer {i + 1}</span>
                    <span className="font-mono text-xs text-stone-600">{shortId(c.id)}</span>
                    <span className="text-xs text-stone-600">
                      {[
                        c.age ? `Age ${c.age}` : "",
                        c.club ? c.club.toLowerCase() : "",
                        purchasesLabel(c.purchases),
                      ]
                        .filter(Boolean)
                        .join(" · ") || "Shopper"}
                    </span>
                  </button>
                </form>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="by-id-title" className="max-w-xl">
        <h2 id="by-id-title" className="text-lg font-semibold">
          {samples.length > 0 ? "Or enter a customer id" : "Sign in with a customer id"}
        </h2>
        <form action={action} className="mt-4 flex flex-col gap-3">
          <Label htmlFor="customer-id">Customer id (64 characters)</Label>
          <div className="flex flex-col gap-3 sm:flex-row">
            <Input
              id="customer-id"
              name="customer_id"
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="64 characters, 0–9 and a–f"
              aria-invalid={state.error ? true : undefined}
              aria-describedby={state.error ? "sign-in-error" : undefined}
              className="font-mono text-xs"
            />
            <input type="hidden" name="next" value={next} />
            <Button type="submit" disabled={pending}>
              {pending ? "Signing in…" : "Sign in"}
            </Button>
          </div>
        </form>
        {state.error ? (
          <Notice variant="error" id="sign-in-error" role="alert" className="mt-4">
            {state.error}
          </Notice>
        ) : null}
      </section>
    </div>
  );
}

function purchasesLabel(n: number | null): string {
  if (n === null) return "";
  if (n === 0) return "new: no purchases yet";
  return n === 1 ? "1 purchase" : `${n} purchases`;
}
