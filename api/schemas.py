"""Request and response models: the API's public contract (and the storefront's generated types)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from core.changes import ArticleFields, ArticlePatch
from core.preferences import Preferences

__all__ = [
    "ArticleFields",
    "ArticlePatch",
    "Preferences",
]  # part of the API's contract; defined with its store in core


class Parts(BaseModel):
    """Normalised [0, 1] contribution of each signal; null where the signal is absent."""

    cf: float | None = None
    text: float | None = None
    image: float | None = None


class Weights(BaseModel):
    """Effective weights of this response (absent signals' weight spread over the others)."""

    cf: float | None = None
    text: float | None = None
    image: float | None = None


class Article(BaseModel):
    """An article with the column names of articles.csv, plus shop price and figures."""

    article_id: str
    product_code: str
    prod_name: str
    product_type_no: int
    product_type_name: str
    product_group_name: str
    graphical_appearance_no: int
    graphical_appearance_name: str
    colour_group_code: int
    colour_group_name: str
    perceived_colour_value_id: int
    perceived_colour_value_name: str
    perceived_colour_master_id: int
    perceived_colour_master_name: str
    department_no: int
    department_name: str
    index_code: str
    index_name: str
    index_group_no: int
    index_group_name: str
    section_no: int
    section_name: str
    garment_group_no: int
    garment_group_name: str
    detail_desc: str
    price: float = Field(description="shop price in `currency`")
    currency: str
    image_url: str
    has_image: bool
    sales_7d: int
    sales_30d: int
    trend_score: float
    first_sale: str | None = Field(None, description="first sale date (YYYY-MM-DD)")
    colourways: int
    in_stock: bool = Field(True, description="false: out of stock (left out of every list)")
    hidden: bool = Field(False, description="pulled from the shop by a merchandiser")


class RuleRef(BaseModel):
    """A merchandising rule that moved an item (`/admin/rules/{id}`)."""

    id: int
    name: str
    action: Literal["pin", "boost", "bury"]


class ListItem(Article):
    """A ranked article: `score` = Σ weights·parts (+ `boost` from the customer's preferences,
    + the strengths of the merchandising rules that boost or bury it)."""

    score: float | None = None
    parts: Parts = Parts()
    boost: float = 0.0
    reason: str = ""
    rules: list[RuleRef] = Field(
        default_factory=list, description="the merchandising rules that moved it"
    )


class ArticleList(BaseModel):
    items: list[ListItem]
    total: int = Field(description="matching articles before pagination")
    limit: int
    offset: int
    weights: Weights | None = None
    ranker: Literal["learned"] | None = Field(
        None,
        description="learned: the version's trained model ordered the list (then there are no "
        "weights; each item still carries its parts and a reason); null: the blend of weights",
    )
    version: str
    rec_id: str | None = Field(
        None,
        description="this list's id: send it, with the item's position, on the events that "
        "follow from the list (views, add-to-cart, purchases)",
    )
    experiment: int | None = Field(
        None, description="the experiment this list was served in (null: none covers it)"
    )
    variant: str | None = Field(None, description="the experiment's variant the asker is in")


class EventIn(BaseModel):
    """One shopper event. `ts` defaults to when the API received it; `price` (shop currency)
    defaults, for a purchase, to the article's current price."""

    model_config = ConfigDict(extra="forbid")
    event_id: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    ] = Field(description="the client's id of the event: a retry with the same id is a duplicate")
    type: Literal["view", "add_to_cart", "purchase"]
    customer_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    article_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
    ts: AwareDatetime | None = Field(None, description="when it happened (ISO 8601 with zone)")
    price: float | None = Field(None, ge=0, le=1_000_000)
    sales_channel_id: Literal[1, 2] | None = Field(None, description="1 store, 2 online")
    rec_id: Annotated[str, StringConstraints(max_length=160)] | None = Field(
        None, description="the `rec_id` of the list the shopper acted from, if any"
    )
    position: int | None = Field(
        None, ge=1, le=1000, description="the article's 1-based position in that list"
    )


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn] = Field(min_length=1, max_length=500)


class EventsAccepted(BaseModel):
    accepted: int = Field(description="events newly logged")
    duplicates: int = Field(description="events whose event_id was already logged")


class FacetValue(BaseModel):
    value: str
    count: int


class BrowseResult(ArticleList):
    facets: dict[str, list[FacetValue]] = Field(
        description="counts per value of category, colour and index_group under the other filters"
    )
    price_range: tuple[float, float] | None = Field(
        None, description="lowest and highest shop price among matching articles"
    )


class ArticleDetail(Article):
    variants: list[Article] = Field(description="the other colourways of this product_code")


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SessionToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class SampleCustomer(BaseModel):
    customer_id: str
    age: int | None = None
    club_member_status: str | None = None
    purchases: int = Field(description="purchases the index was built from")


class SampleCustomers(BaseModel):
    """Customers to sign in as in a demo: regular shoppers, and one who bought nothing."""

    items: list[SampleCustomer]


class CustomerPreferences(Preferences):
    """Saved preferences as `GET` answers them; `PUT` takes the same body back."""

    customer_id: str
    updated_at: str | None = Field(None, description="when they were saved (read-only)")


class PreferencesUpdate(Preferences):
    """The `PUT` body: the preferences, optionally with the read-only fields that `GET`
    answers, so that a client can read, edit one field and write the whole object back.
    `customer_id`, when sent, must be the path's; `updated_at` is ignored."""

    customer_id: str | None = None
    updated_at: str | None = None

    def preferences(self) -> Preferences:
        return Preferences.model_validate(self.model_dump(exclude={"customer_id", "updated_at"}))


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class DatabaseHealth(BaseModel):
    """The state's database as this process sees it (writes need it; reads do not)."""

    backend: Literal["sqlite", "postgresql"]
    reachable: bool
    schema_: Literal["current", "older", "newer", "empty", "unknown"] = Field(
        alias="schema", description="against this code's migrations ('unknown': unreachable)"
    )
    revisions: dict[str, str | None] = Field(
        default_factory=dict, description="per part (main, events, limits): its revision"
    )

    model_config = {"populate_by_name": True}


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    version: str
    articles: int
    customers: int
    engine: str
    process: int = Field(description="the id of the API process that answered")
    catalog_seq: int = Field(
        0, description="the catalog's changes up to this sequence number are served"
    )
    articles_served: int = Field(0, description="articles in the served catalog now")
    catalog_failed: int = Field(
        0,
        description="logged catalog changes this process could not apply (set aside, tried "
        "again; listed by GET /admin/catalog/failed)",
    )
    database: DatabaseHealth | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


class KeyCreate(BaseModel):
    """A new API key: its role and a name to revoke it by."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["service", "merchandiser", "admin"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Caller(BaseModel):
    """Who a credential is: an API key (its name and role) or a signed-in shopper."""

    role: str
    key_name: str | None = None
    customer_id: str | None = None


class KeyInfo(BaseModel):
    name: str
    role: str
    hint: str = Field(description="the key's first characters, to tell keys apart")
    created_at: str
    revoked_at: str | None = None


class KeyCreated(KeyInfo):
    key: str = Field(description="the key itself: shown only in this answer, stored as a hash")


class KeyList(BaseModel):
    items: list[KeyInfo]


class AuditItem(BaseModel):
    id: int
    at: str
    key_name: str
    role: str
    method: str
    path: str
    status: int


class AuditPage(BaseModel):
    """Newest first; pass `next_before` as `before` for the next page (null: no more)."""

    items: list[AuditItem]
    next_before: int | None = None


class CatalogChange(BaseModel):
    """A logged catalog change: every API process serves it within seconds."""

    seq: int = Field(description="the change's sequence number in the catalog's log")
    article_id: str
    op: Literal["put", "patch", "delete"]


class ArticlePatchItem(ArticlePatch):
    """One article's changes in a batch."""

    article_id: Annotated[str, StringConstraints(pattern=r"^\d{10}$")]


class ArticlePatchBatch(BaseModel):
    """Up to 500 patches (a price or stock feed), all or nothing."""

    model_config = ConfigDict(extra="forbid")

    items: list[ArticlePatchItem] = Field(min_length=1, max_length=500)


class CatalogChanges(BaseModel):
    seqs: list[int] = Field(description="each item's sequence number, in order")


class FailedChange(BaseModel):
    """A logged catalog change this process could not apply: its article keeps the state it
    was served in, and the change is tried again (at once when a new change of the article
    comes, such as a new photo)."""

    seq: int
    article_id: str
    op: Literal["put", "patch", "delete"]
    reason: str
    attempts: int = Field(description="how many times it was tried")
    failed_since: AwareDatetime
    next_try_in_s: float = Field(description="seconds until it is tried again")


class FailedChanges(BaseModel):
    """The changes one API process set aside (every process applies the log itself; those
    that read the same files set aside the same ones)."""

    process: int = Field(description="the id of the API process that answered")
    catalog_seq: int
    items: list[FailedChange]
