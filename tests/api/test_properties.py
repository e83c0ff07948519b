"""Property-based tests: random filter combinations against a brute-force count."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow
HALF_CENT = 0.005


@pytest.fixture(scope="module")
def catalog(client: TestClient) -> pd.DataFrame:
    """Every article as the API shows it, fetched page by page without filters."""
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = client.get(f"/articles?limit=100&offset={offset}&sort=price_asc").json()
        rows += body["items"]
        offset += 100
        if offset >= body["total"]:
            return pd.DataFrame(rows)


def _mask(df: pd.DataFrame, f: dict[str, Any]) -> pd.Series:
    m = pd.Series(True, index=df.index)
    if f.get("category"):
        m &= df.product_type_name.isin(f["category"]) | df.product_group_name.isin(f["category"])
    if f.get("colour"):
        m &= df.colour_group_name.isin(f["colour"])
    if f.get("index_group"):
        m &= df.index_group_name.isin(f["index_group"])
    if f.get("min_price") is not None:
        m &= df.price >= f["min_price"] - 1e-9
    if f.get("max_price") is not None:
        m &= df.price <= f["max_price"] + 1e-9
    return m


def _filters(catalog: pd.DataFrame) -> st.SearchStrategy[dict[str, Any]]:
    cats = sorted(set(catalog.product_type_name) | set(catalog.product_group_name))
    prices = sorted(catalog.price)
    pick = lambda values: st.lists(st.sampled_from(values), max_size=3, unique=True)  # noqa: E731
    return st.fixed_dictionaries(
        {},
        optional={
            "category": pick(cats),
            "colour": pick(sorted(set(catalog.colour_group_name))),
            "index_group": pick(sorted(set(catalog.index_group_name))),
            "min_price": st.sampled_from(prices),
            "max_price": st.sampled_from(prices),
        },
    )


def _order_prices(f: dict[str, Any]) -> None:
    lo, hi = f.get("min_price"), f.get("max_price")
    if lo is not None and hi is not None and lo > hi:
        f["min_price"], f["max_price"] = hi, lo


def _params(f: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in f.items():
        out += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
    return out


def test_browse_matches_brute_force(client: TestClient, catalog: pd.DataFrame) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(f=_filters(catalog), sort=st.sampled_from(["relevance", "price_asc", "newest"]))
    def check(f: dict[str, Any], sort: str) -> None:
        _order_prices(f)
        params = [*_params(f), ("sort", sort), ("limit", 10)]
        page1 = client.get("/articles", params=params).json()
        page2 = client.get("/articles", params=[*params, ("offset", 10)]).json()
        expected = catalog[_mask(catalog, f)]
        assert page1["total"] == len(expected)
        ids1 = {i["article_id"] for i in page1["items"]}
        ids2 = {i["article_id"] for i in page2["items"]}
        assert not ids1 & ids2
        assert len(ids1) == min(10, len(expected))
        assert ids1 | ids2 <= set(expected.article_id)
        for name, column, key in (
            ("colour", "colour_group_name", "colour"),
            ("index_group", "index_group_name", "index_group"),
        ):
            others = catalog[_mask(catalog, {**f, key: None})]
            got = {x["value"]: x["count"] for x in page1["facets"][name]}
            assert got == others[column].value_counts().to_dict()

    check()


def test_ranked_lists_satisfy_filters(
    client: TestClient, catalog: pd.DataFrame, service: dict[str, str]
) -> None:
    customer = "bd" * 32
    article = catalog.article_id.iloc[0]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(f=_filters(catalog), which=st.sampled_from(["feed", "similar", "search", "trending"]))
    def check(f: dict[str, Any], which: str) -> None:
        _order_prices(f)
        url = {
            "feed": f"/recommendations/{customer}",
            "similar": f"/articles/{article}/similar",
            "search": "/search",
            "trending": "/trending",
        }[which]
        params = [*_params(f), ("limit", 12), ("collapse", "false")]
        params += [("q", "soft cotton")] if which == "search" else []
        body = client.get(url, params=params, headers=service).json()
        expected = catalog[_mask(catalog, f)]
        allowed = set(expected.article_id) - ({article} if which == "similar" else set())
        got = [i["article_id"] for i in body["items"]]
        assert set(got) <= allowed
        assert len(got) == len(set(got))
        if which in ("search", "trending"):
            # A filtered page is full whenever enough articles match.
            assert len(got) == min(12, len(allowed)), (f, which, allowed)

    check()
