import type { Metadata } from "next";

import { ProductGrid } from "@/components/product/product-grid";
import { PreferencesForm } from "@/components/profile/preferences-form";
import { SignInPanel } from "@/components/profile/sign-in-panel";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { signOut } from "@/lib/actions/session";
import { ApiError } from "@/lib/api/client";
import { getFeed, listArticles } from "@/lib/api/catalog";
import { getPreferences } from "@/lib/api/customers";
import { shortId } from "@/lib/format";
import { sampleCustomers } from "@/lib/samples";
import { getSession, type Session } from "@/lib/session";

export const metadata: Metadata = { title: "Your profile" };

function Page({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-10 sm:px-6 lg:px-10">
      <h1 className="text-3xl font-semibold tracking-tight">{title}</h1>
      {children}
    </div>
  );
}

async function SignedIn({ session }: { session: Session }) {
  const [prefs, catalog, feed] = await Promise.all([
    getPreferences(session.customerId, session.token),
    listArticles({ limit: 1 }),
    getFeed(session, { limit: 4 }),
  ]);
  return (
    <Page title="Your profile">
      <div className="mt-2 flex flex-wrap items-center gap-4 text-sm text-stone-600">
        <span>
          Signed in as customer <span className="font-mono">{shortId(session.customerId)}</span>
        </span>
        <form action={signOut}>
          <Button type="submit" variant="link" className="h-auto p-0">
            Sign out
          </Button>
        </form>
      </div>
      <div className="mt-10 grid gap-16 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <section aria-labelledby="prefs-title">
          <h2 id="prefs-title" className="mb-6 text-xl font-semibold">
            Preferences
          </h2>
          <PreferencesForm
            prefs={prefs}
            categories={(catalog.facets.category ?? []).map((f) => f.value).sort()}
            colours={(catalog.facets.colour ?? []).map((f) => f.value)}
            priceBounds={catalog.price_range ?? null}
            currency={catalog.items[0]?.currency ?? "EUR"}
          />
        </section>
        <section aria-labelledby="feed-title" data-testid="profile-feed">
          <h2 id="feed-title" className="mb-6 text-xl font-semibold">
            Your feed now
          </h2>
          <ProductGrid
            items={feed.items}
            reasons
            label="Your feed"
            className="md:grid-cols-2 xl:grid-cols-2"
            recId={feed.rec_id}
          />
        </section>
      </div>
    </Page>
  );
}

export default async function ProfilePage() {
  const session = await getSession();
  if (session) {
    try {
      return await SignedIn({ session });
    } catch (err) {
      // An expired or foreign token: ask for a new sign-in instead of failing the page.
      if (!(err instanceof ApiError && err.isAuth)) throw err;
    }
  }
  return (
    <Page title="Sign in">
      <p className="mt-2 max-w-2xl text-stone-700">
        This is a demo shop: pick one of the sample customers to see a feed made from their
        purchases, then tune it with your own preferences.
      </p>
      {session ? (
        <Notice variant="error" className="mt-6">
          Your session has ended. Please sign in again.
        </Notice>
      ) : null}
      <div className="mt-10">
        <SignInPanel samples={await sampleCustomers()} next="/" />
      </div>
    </Page>
  );
}
