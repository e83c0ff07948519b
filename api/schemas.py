"""Request and response models: the API's public contract (and the storefront's generated types)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(max_length=100)]


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


class ListItem(Article):
    """A ranked article: `score` = Σ weights·parts (+ `boost` from the customer's preferences)."""

    score: float | None = None
    parts: Parts = Parts()
    boost: float = 0.0
    reason: str = ""


class ArticleList(BaseModel):
    items: list[ListItem]
    total: int = Field(description="matching articles before pagination")
    limit: int
    offset: int
    weights: Weights | None = None
    version: str


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


class Preferences(BaseModel):
    """What a customer tells us; changes their feed at once."""

    model_config = ConfigDict(extra="forbid")
    favourite_categories: list[Text] = Field(default_factory=list, max_length=20)
    favourite_colours: list[Text] = Field(default_factory=list, max_length=20)
    min_price: float | None = Field(None, ge=0, le=1_000_000)
    max_price: float | None = Field(None, ge=0, le=1_000_000)
    style: Annotated[str, StringConstraints(max_length=300)] = ""


class CustomerPreferences(Preferences):
    customer_id: str
    updated_at: str | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    version: str
    articles: int
    customers: int
    engine: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None
