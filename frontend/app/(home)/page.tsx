import Link from "next/link";

import { Hero } from "@/components/home/hero";
import { PersonalRow } from "@/components/home/personal-row";
import { Section } from "@/components/home/section";
import { SignInPrompt } from "@/components/home/sign-in-prompt";
import { ProductGrid } from "@/components/product/product-grid";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { getFeed, getTrending, listArticles } from "@/lib/api/catalog";
import { getBuyAgain, getRecentlyViewed } from "@/lib/api/customers";
import { userMessage } from "@/lib/api/errors";
import { getSession } from "@/lib/session";

/** One line of cards on a wide screen. */
const ROW = 4;

export default async function HomePage() {
  const session = await getSession();
  const [trending, feed, recent, again, fresh] = await Promise.allSettled([
    getTrending({ limit: 12 }),
    session ? getFeed(session, { limit: 8 }) : Promise.resolve(null),
    session ? getRecentlyViewed(session, { limit: ROW }) : Promise.resolve(null),
    session ? getBuyAgain(session, { limit: ROW }) : Promise.resolve(null),
    listArticles({ sort: "newest", limit: ROW }),
  ]);
  // Trending is the page's backbone: without it the API is down, and the error page says so.
  if (trending.status === "rejected") throw trending.reason;
  const top = trending.value.items;

  return (
    <>
      {/* The hero shows the next best sellers, so it does not repeat the grid below. */}
      <Hero picks={top.length > 10 ? top.slice(8) : top} signedIn={session !== null} />
      {session ? (
        <Section
          id="for-you"
          title="For you"
          subtitle="Picked from what you bought and the preferences you set."
          action={{ href: "/profile", label: "Edit preferences" }}
        >
          {feed.status === "rejected" ? (
            <Notice variant="error">{userMessage(feed.reason)}</Notice>
          ) : feed.value && feed.value.items.length > 0 ? (
            <ProductGrid
              items={feed.value.items}
              reasons
              label="For you"
              recId={feed.value.rec_id}
            />
          ) : (
            <EmptyState title="Nothing to suggest yet">
              Tell us what you like on your{" "}
              <Link href="/profile" className="underline underline-offset-4">
                profile
              </Link>{" "}
              and your picks appear here.
            </EmptyState>
          )}
        </Section>
      ) : (
        <SignInPrompt />
      )}
      <PersonalRow
        id="recently-viewed"
        title="Recently viewed"
        subtitle="Pick up where you left off."
        result={recent}
      />
      <PersonalRow
        id="buy-again"
        title="Buy it again"
        subtitle="Favourites of yours that people often buy more than once."
        result={again}
      />
      <Section
        id="trending"
        title="Trending now"
        subtitle="The best sellers of the last seven days."
        action={{ href: "/explore?sort=trending", label: "Shop trending" }}
      >
        {top.length > 0 ? (
          <ProductGrid
            items={top.slice(0, 8)}
            reasons
            label="Trending now"
            priorityCount={0}
            recId={trending.value.rec_id}
          />
        ) : (
          <EmptyState title="No sales this week yet" />
        )}
      </Section>
      <Section
        id="new-arrivals"
        title="New arrivals"
        subtitle="Just in: the newest pieces in the shop."
        action={{ href: "/explore?sort=newest", label: "Shop new arrivals" }}
      >
        {fresh.status === "rejected" ? (
          <Notice variant="error">{userMessage(fresh.reason)}</Notice>
        ) : fresh.value.items.length > 0 ? (
          <ProductGrid
            items={fresh.value.items}
            label="New arrivals"
            priorityCount={0}
            recId={fresh.value.rec_id}
          />
        ) : (
          <EmptyState title="Nothing new yet" />
        )}
      </Section>
    </>
  );
}
