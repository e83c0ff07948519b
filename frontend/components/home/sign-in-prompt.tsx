import Link from "next/link";

import { Button } from "@/components/ui/button";

/** For a visitor who is not signed in: what a feed of their own would give them. */
export function SignInPrompt() {
  return (
    <section
      aria-labelledby="prompt-title"
      data-testid="sign-in-prompt"
      className="mx-auto mt-16 max-w-screen-2xl px-4 sm:px-6 lg:px-10"
    >
      <div className="flex flex-col items-start gap-4 bg-canvas px-6 py-10 sm:flex-row sm:items-center sm:justify-between sm:px-10">
        <div>
          <h2 id="prompt-title" className="text-xl font-semibold sm:text-2xl">
            Get a feed made for you
          </h2>
          <p className="mt-1 max-w-2xl text-sm text-stone-700">
            Sign in as one of our sample customers, tell us your favourite colours and styles, and
            your picks update at once.
          </p>
        </div>
        <Button asChild>
          <Link href="/profile">Sign in or set preferences</Link>
        </Button>
      </div>
    </section>
  );
}
