/** Names for the generated OpenAPI types (lib/api/schema.d.ts): never written by hand. */
import type { components, operations } from "@/lib/api/schema";

type Schemas = components["schemas"];

export type Article = Schemas["Article"];
export type ArticleDetail = Schemas["ArticleDetail"];
export type ListItem = Schemas["ListItem"];
export type ArticleList = Schemas["ArticleList"];
export type BrowseResult = Schemas["BrowseResult"];
export type FacetValue = Schemas["FacetValue"];
export type Parts = Schemas["Parts"];
export type Weights = Schemas["Weights"];
export type Preferences = Schemas["PreferencesUpdate"];
export type CustomerPreferences = Schemas["CustomerPreferences"];
export type SessionToken = Schemas["SessionToken"];
export type SampleCustomers = Schemas["SampleCustomers"];
export type Ready = Schemas["Ready"];
export type EventIn = Schemas["EventIn"];
export type EventType = EventIn["type"];
export type EventsAccepted = Schemas["EventsAccepted"];
export type ArticlePatch = Schemas["ArticlePatch"];
export type CatalogChange = Schemas["CatalogChange"];
export type RuleRef = Schemas["RuleRef"];
export type Rule = Schemas["Rule"];
export type RuleIn = Schemas["RuleIn"];
export type RuleList = Schemas["RuleList"];
export type Caller = Schemas["Caller"];
export type Insights = Schemas["InsightsOut"];

type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;

export type BrowseQuery = QueryOf<"list_articles_articles_get">;
export type Sort = NonNullable<BrowseQuery["sort"]>;
export type SearchQuery = QueryOf<"search_text_search_get">;
export type SimilarQuery = QueryOf<"get_similar_articles__article_id__similar_get">;
export type FeedQuery = QueryOf<"get_recommendations_recommendations__customer_id__get">;
export type TrendingQuery = QueryOf<"get_trending_trending_get">;
export type RecentlyViewedQuery =
  QueryOf<"get_recently_viewed_customers__customer_id__recently_viewed_get">;
export type BuyAgainQuery = QueryOf<"get_buy_again_customers__customer_id__buy_again_get">;
/** Filters shared by every list endpoint. */
export type ListFilterQuery = Pick<
  BrowseQuery,
  "category" | "colour" | "index_group" | "min_price" | "max_price"
>;

/** Any item a list shows: browse results have no parts, ranked results do. */
export type AnyItem = Article | ListItem;
export type Experiment = Schemas["Experiment"];
export type ExperimentIn = Schemas["ExperimentIn"];
export type ExperimentList = Schemas["ExperimentList"];
export type ExperimentResults = Schemas["ResultsOut"];
