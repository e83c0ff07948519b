"use client";

import { useActionState } from "react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Notice } from "@/components/ui/notice";
import { signInStaff, type StaffSignInState } from "@/lib/actions/staff";

const INITIAL: StaffSignInState = { message: "" };

export function StaffSignInForm({ next }: { next: string }) {
  const [state, dispatch, pending] = useActionState(signInStaff, INITIAL);
  return (
    <form action={dispatch} className="mt-6 grid max-w-md gap-4" data-testid="staff-sign-in">
      <input type="hidden" name="next" value={next} />
      <div className="grid gap-2">
        <Label htmlFor="staff-key">Your API key</Label>
        <Input
          id="staff-key"
          name="key"
          type="password"
          autoComplete="current-password"
          required
          className="h-11"
          aria-describedby={state.message ? "staff-key-error" : undefined}
        />
      </div>
      {state.message ? (
        <Notice variant="error" id="staff-key-error" data-testid="staff-sign-in-error">
          {state.message}
        </Notice>
      ) : null}
      <Button type="submit" disabled={pending} className="h-11 justify-self-start">
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
