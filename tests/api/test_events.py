"""Live events (issue 15): POST /events, what each event changes at the next request, and the
rows built from the log. Known answers on the tiny world, through the HTTP API, with an event
log of this module's own (the shared client's feeds stay as built)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.catalog import point_id
from core.events import Activity, Logged, events_path, open_log
from core.keys import KeyStore
from core.settings import LiveSettings
from ranking.index import Snapshot
from ranking.taste import load_customer, tastes
from scoring.foldin import fold_in

pytestmark = pytest.mark.slow

#: Customers the index does not know (new since the build).
NEW_SWAPPER = "c1" * 32
NEW_LOYAL = "c2" * 32
NEW_FIRST = "c3" * 32
NEW_VIEWER = "c4" * 32
NEW_REPLAY = "c5" * 32


@pytest.fixture(scope="module")
def live(tiny_settings: Any, tiny_index: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("live")
    # The colourway step is off by default (see docs/live.md); these tests switch it on.
    live = LiveSettings(colourway_boost=0.1)
    return tiny_settings.model_copy(update={"db_path": root / "lookbook.db", "live": live})


@pytest.fixture(scope="module")
def keys(live: Any) -> dict[str, dict[str, str]]:
    store = KeyStore(live.db_path)
    out = {
        role: {"X-API-Key": store.create(role, f"live-{role}")[1]}
        for role in ("service", "merchandiser")
    }
    store.close()
    return out


@pytest.fixture(scope="module")
def api(live: Any) -> Iterator[TestClient]:
    with TestClient(create_app(live)) as c:
        yield c


@pytest.fixture(scope="module")
def articles(tiny_world: Path) -> pd.DataFrame:
    return pd.read_csv(tiny_world / "articles.csv", dtype=str)


@pytest.fixture(scope="module")
def sales(tiny_world: Path) -> pd.DataFrame:
    return pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)


def _snap(api: TestClient) -> Snapshot:
    snap: Snapshot = api.app.state.index.snapshot()  # type: ignore[attr-defined]
    return snap


def _event(customer: str, article: str, kind: str = "purchase", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "type": kind,
        "customer_id": customer,
        "article_id": article,
        **extra,
    }


def _post(api: TestClient, headers: dict[str, str], events: list[dict[str, Any]]) -> Any:
    r = api.post("/events", json={"events": events}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _feed(
    api: TestClient, headers: dict[str, str], customer: str, limit: int = 50
) -> list[dict[str, Any]]:
    r = api.get(f"/recommendations/{customer}?limit={limit}&collapse=false", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _not_bought(items: list[dict[str, Any]]) -> str:
    """The first item of a feed that the customer has not bought (no rebuy reason)."""
    return next(i["article_id"] for i in items if not i["reason"].startswith("You bought it"))


def _left_or_rebuy(items: list[dict[str, Any]], article: str) -> bool:
    """Whether a just-bought article has left the feed, or stays as a likely rebuy saying so
    (it was not one before the purchase: the feed knows of the purchase either way)."""
    reason = {i["article_id"]: i["reason"] for i in items}.get(article)
    return reason is None or reason.startswith("You bought it")


def _buyer(sales: pd.DataFrame, rank: int) -> str:
    """A customer of the data with many purchases (the ``rank``-th busiest)."""
    return str(sales.customer_id.value_counts().index[rank])


# --- a purchase reaches the next feed -----------------------------------------------------


def test_a_purchase_leaves_the_next_feed_and_the_cache_never_serves_the_old_one(
    api: TestClient, keys: dict[str, dict[str, str]], sales: pd.DataFrame
) -> None:
    service, customer = keys["service"], _buyer(sales, 0)
    url = f"/recommendations/{customer}?limit=50&collapse=false"
    before = api.get(url, headers=service)
    assert api.get(url, headers=service).headers["x-cache"] == "hit"
    top = _not_bought(before.json()["items"])
    assert _post(api, service, [_event(customer, top)]) == {"accepted": 1, "duplicates": 0}
    after = api.get(url, headers=service)
    assert after.headers["x-cache"] == "miss"  # keyed by the customer's newest event
    # Bought now: left out, or kept as a likely rebuy that says so.
    assert _left_or_rebuy(after.json()["items"], top)
    # What they bought is in the feed when asked for, and is now part of their cf vector.
    with_bought = api.get(url + "&exclude_bought=false", headers=service).json()["items"]
    assert top in {i["article_id"] for i in with_bought}


def test_the_cf_vector_is_folded_in_as_implicit_recalculates_a_user(
    api: TestClient, keys: dict[str, dict[str, str]], sales: pd.DataFrame, articles: pd.DataFrame
) -> None:
    snap, customer = _snap(api), _buyer(sales, 1)
    assert snap.customers is not None and snap.vectors is not None
    row = snap.customers.get(customer)
    assert row is not None and row.bought_weight is not None
    als = snap.manifest["als"]
    y = snap.vectors.matrix("cf")

    def solve(weights: dict[str, float]) -> Any:
        rows = snap.vectors.row_of([point_id(a) for a in weights])  # type: ignore[union-attr]
        conf = als["alpha"] * np.array(list(weights.values()))
        return fold_in(y[rows], conf, snap.item_gram, als["regularization"])

    stored = dict(zip(row.bought, row.bought_weight, strict=True))
    # The stored weights are the ones the model was trained on: the exact solve from them
    # gives (nearly: the build's solver is conjugate gradient) the built vector.
    exact = solve(stored)
    cos = exact @ row.cf / (np.linalg.norm(exact) * np.linalg.norm(row.cf))
    assert cos > 0.98, cos
    # A new purchase adds weight 1 (today) to its article; the live vector is that solve.
    new = next(a for a in sorted(articles.article_id) if a not in stored)
    _post(api, keys["service"], [_event(customer, new)])
    activity = open_log(api.app.state.settings.db_path).activity(customer, snap.events_seq, 50)  # type: ignore[attr-defined]
    live = load_customer(snap, customer, activity)
    assert live.bought[-1] == new and live.recent[0] == new
    np.testing.assert_allclose(live.cf, solve({**stored, new: 1.0}), rtol=1e-9, atol=1e-12)


def test_a_new_customers_first_purchase_gives_a_personal_feed(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    service = keys["service"]
    cold = _feed(api, service, NEW_FIRST, 12)
    assert all(i["parts"]["cf"] is None and i["parts"]["text"] is None for i in cold)
    assert all(i["reason"] == "Trending now" for i in cold)
    dress = sorted(articles[articles.product_type_name == "Dress"].article_id)[0]
    _post(api, service, [_event(NEW_FIRST, dress)])
    warm = _feed(api, service, NEW_FIRST, 12)
    assert all(i["parts"]["cf"] is not None and i["parts"]["text"] is not None for i in warm)
    assert dress not in {i["article_id"] for i in warm}
    dresses = [sum(i["product_type_name"] == "Dress" for i in f) for f in (cold, warm)]
    assert dresses[1] >= dresses[0] + 3, dresses
    closest = max(warm, key=lambda i: i["parts"]["text"])
    assert closest["product_type_name"] == "Dress", closest
    assert any(" you bought" in i["reason"] for i in warm)


# --- colourways -------------------------------------------------------------------------


def _products(articles: pd.DataFrame) -> list[list[str]]:
    """Products with at least three colourways, each as its article ids (sorted)."""
    by_code = articles.groupby("product_code").article_id.apply(sorted)
    return [ids for ids in by_code if len(ids) >= 3]


def test_colourways_move_up_for_a_colour_swapper_and_down_for_anyone_else(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    service = keys["service"]
    swapped, bought = _products(articles)[:2]
    # The swapper has bought two colours of one product; the other customer never has.
    _post(api, service, [_event(NEW_SWAPPER, a) for a in (swapped[0], swapped[1], bought[0])])
    _post(api, service, [_event(NEW_LOYAL, bought[0])])
    step = api.app.state.settings.live.colourway_boost  # type: ignore[attr-defined]
    for customer, sign in ((NEW_SWAPPER, 1), (NEW_LOYAL, -1)):
        items = _feed(api, service, customer, 100)
        by_id = {i["article_id"]: i for i in items}
        others = [a for a in bought[1:] if a in by_id]
        assert others, (customer, bought)
        rank = {i["article_id"]: n for n, i in enumerate(items)}
        unboosted = sorted(items, key=lambda i: -(i["score"] - i["boost"]))
        rank0 = {i["article_id"]: n for n, i in enumerate(unboosted)}
        for a in others:
            assert by_id[a]["boost"] == pytest.approx(sign * step)
            assert (rank[a] <= rank0[a]) if sign > 0 else (rank[a] >= rank0[a])
        # Other items are not moved, and the reason names the very product bought.
        products = {articles.set_index("article_id").product_code[a] for a in (*swapped, *bought)}
        assert all(i["boost"] == 0 for i in items if i["product_code"] not in products)
        reasons = [by_id[a]["reason"] for a in others]
        assert any(r.endswith("you bought, in another colour") for r in reasons), reasons


# --- views ------------------------------------------------------------------------------


def test_ten_views_of_one_product_type_shift_the_text_taste_towards_it(
    api: TestClient, keys: dict[str, dict[str, str]], sales: pd.DataFrame, articles: pd.DataFrame
) -> None:
    snap, service, customer = _snap(api), keys["service"], _buyer(sales, 2)
    mine = set(sales[sales.customer_id == customer].article_id)
    types = articles.set_index("article_id").product_type_name
    bought_types = pd.Series([types[a] for a in mine]).value_counts()
    # The type with 10 articles or more that this customer bought least.
    sizes = articles.product_type_name.value_counts()
    viewed_type = min(sizes[sizes >= 10].index, key=lambda t: (bought_types.get(t, 0), t))
    viewed = sorted(articles[articles.product_type_name == viewed_type].article_id)[:10]
    centroid = np.nanmean(snap.vectors.rows("text", [point_id(a) for a in viewed]), axis=0)  # type: ignore[union-attr]
    settings = api.app.state.settings  # type: ignore[attr-defined]

    def taste_cos(activity: Activity | None) -> float:
        text, _, _ = tastes(snap, settings, load_customer(snap, customer, activity), None)
        return float(text @ centroid / np.linalg.norm(centroid))

    before = taste_cos(None)
    _post(api, service, [_event(customer, a, "view") for a in viewed])
    log = open_log(settings.db_path)
    activity = log.activity(customer, snap.events_seq, settings.live.views_kept)
    assert [v.article_id for v in activity.views] == viewed[::-1]  # newest first
    after = taste_cos(activity)
    assert after > before + 0.05, (before, after)
    # The views weigh what the settings say: the taste is the weighted mean of both kinds.
    now = datetime.now(UTC).timestamp()
    same = Activity(views=[Logged(0, "view", a, now) for a in viewed[::-1]])
    assert taste_cos(same) == pytest.approx(after, abs=1e-9)  # after the build: no decay
    # A view weighs less than a purchase: the same ten bought move the taste further.
    bought = Activity(purchases=[Logged(0, "purchase", a, now) for a in viewed])
    assert taste_cos(bought) > after
    # A new customer's views alone make the feed theirs (no cold start).
    _post(api, service, [_event(NEW_VIEWER, a, "view") for a in viewed])
    items = _feed(api, service, NEW_VIEWER, 10)
    assert sum(i["product_type_name"] == viewed_type for i in items) >= 8, items
    assert any(" you viewed" in i["reason"] for i in items)
    recently = api.get(f"/customers/{NEW_VIEWER}/recently-viewed?limit=20", headers=service)
    assert [i["article_id"] for i in recently.json()["items"]] == viewed[::-1]


# --- batches: idempotence, validation, access -------------------------------------------


def test_a_replayed_batch_changes_nothing(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    service = keys["service"]
    arts = sorted(articles.article_id)[:5]
    batch = [_event(NEW_REPLAY, a, "purchase" if i % 2 else "view") for i, a in enumerate(arts)]
    batch.append(dict(batch[0]))  # the same event twice in one batch counts once
    assert _post(api, service, batch) == {"accepted": 5, "duplicates": 1}
    log = open_log(api.app.state.settings.db_path)  # type: ignore[attr-defined]
    count = log.count()
    feed = _feed(api, service, NEW_REPLAY)
    assert _post(api, service, batch) == {"accepted": 0, "duplicates": 6}
    assert log.count() == count
    assert _feed(api, service, NEW_REPLAY) == feed


# Taken when the tests are collected, and used up to the whole suite's length later: a day
# ahead stays "more than 5 minutes in the future" (10 minutes did not, on a loaded machine).
FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"article_id": "0999999999"}, "article_id"),  # well formed, not in the catalog
        ({"article_id": "12345"}, "article_id"),
        ({"customer_id": "not-hex"}, "customer_id"),
        ({"ts": FUTURE}, "ts"),
        ({"ts": "2026-01-01T10:00:00"}, "ts"),  # no time zone
        ({"price": -1.0}, "price"),
        ({"type": "like"}, "type"),
        ({"event_id": ""}, "event_id"),
        ({"sales_channel_id": 3}, "sales_channel_id"),
        ({"colour": "red"}, "colour"),  # an unknown field
    ],
)
def test_every_bad_event_rejects_the_batch_naming_its_index_and_field(
    api: TestClient,
    keys: dict[str, dict[str, str]],
    articles: pd.DataFrame,
    bad: dict[str, Any],
    field: str,
) -> None:
    good = sorted(articles.article_id)[:3]
    batch = [_event(NEW_REPLAY, a) for a in good]
    batch[1] = {**batch[1], **bad}
    log = open_log(api.app.state.settings.db_path)  # type: ignore[attr-defined]
    count = log.count()
    r = api.post("/events", json={"events": batch}, headers=keys["service"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [f"events.1.{field}"]
    assert log.count() == count  # nothing stored, the good events neither


def test_several_bad_events_are_all_named(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    batch = [_event(NEW_REPLAY, a) for a in sorted(articles.article_id)[:4]]
    batch[0]["article_id"] = "0999999999"
    batch[3]["ts"] = FUTURE
    r = api.post("/events", json={"events": batch}, headers=keys["service"])
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["events.0.article_id", "events.3.ts"]


def test_batch_size_and_who_may_post(
    api: TestClient, keys: dict[str, dict[str, str]], sales: pd.DataFrame, articles: pd.DataFrame
) -> None:
    art = sorted(articles.article_id)[0]
    over = [_event(NEW_REPLAY, art, "view") for _ in range(501)]
    r = api.post("/events", json={"events": over}, headers=keys["service"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "events"
    assert api.post("/events", json={"events": []}, headers=keys["service"]).status_code == 422
    one = [_event(NEW_REPLAY, art, "view")]
    assert api.post("/events", json={"events": one}).status_code == 401
    assert (
        api.post("/events", json={"events": one}, headers=keys["merchandiser"]).status_code == 403
    )
    shopper = _buyer(sales, 3)
    token = api.post("/session", json={"customer_id": shopper}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert _post(api, auth, [_event(shopper, art, "view")])["accepted"] == 1
    r = api.post("/events", json={"events": [_event(shopper, art), *one]}, headers=auth)
    assert r.status_code == 403 and "[1]" in r.json()["detail"]
    # Personal rows: the owner or a service key only.
    for path in ("recently-viewed", "buy-again"):
        assert api.get(f"/customers/{shopper}/{path}").status_code == 401
        assert api.get(f"/customers/{NEW_REPLAY}/{path}", headers=auth).status_code == 403
        assert api.get(f"/customers/{shopper}/{path}", headers=auth).status_code == 200


# --- personal rows ----------------------------------------------------------------------


def test_buy_again_ranks_repeat_purchases_by_the_customers_own_repeats(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    service, customer = keys["service"], "c6" * 32
    socks, shirt, coat = sorted(articles.article_id)[10:13]
    _post(api, service, [_event(customer, socks) for _ in range(3)])
    _post(api, service, [_event(customer, shirt) for _ in range(2)])
    _post(api, service, [_event(customer, coat)])
    items = api.get(f"/customers/{customer}/buy-again", headers=service).json()["items"]
    by_id = {i["article_id"]: i for i in items}
    snap = _snap(api)
    assert snap.customers is not None and snap.vectors is not None
    shares = snap.customers.article_repurchase
    assert shares is not None
    overall = float(np.mean(shares))
    share = {a: float(shares[snap.vectors.row_of([point_id(a)])[0]]) for a in (socks, shirt, coat)}
    # The customer bought again 2 of 3 articles: their own share, smoothed (5 pseudo-articles).
    mine = (2 + 5 * overall) / (3 + 5)
    for a, n in ((socks, 3), (shirt, 2), (coat, 1)):
        own = (n - 1 + mine) / n
        expected = 1 - (1 - share[a]) * (1 - own)
        if n == 1 and share[a] <= overall:
            assert a not in by_id  # bought once, and its buyers rarely come back
            continue
        assert by_id[a]["score"] == pytest.approx(expected, abs=1e-6)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert by_id[socks]["reason"].startswith("You bought it 3 times")


def test_an_event_posted_to_one_process_reaches_the_next_feed_of_another(
    api: TestClient, live: Any, keys: dict[str, dict[str, str]], sales: pd.DataFrame
) -> None:
    """Two apps on one database stand for two API processes (each with its own connections)."""
    service, customer = keys["service"], _buyer(sales, 4)
    with TestClient(create_app(live)) as other:
        url = f"/recommendations/{customer}?limit=20&collapse=false"
        first = other.get(url, headers=service).json()["items"]
        assert other.get(url, headers=service).headers["x-cache"] == "hit"
        top = _not_bought(first)
        _post(api, service, [_event(customer, top)])
        after = other.get(url, headers=service)
        assert after.headers["x-cache"] == "miss"
        assert _left_or_rebuy(after.json()["items"], top)


def test_trending_counts_logged_purchases_at_once(
    api: TestClient, keys: dict[str, dict[str, str]], articles: pd.DataFrame
) -> None:
    service = keys["service"]
    url = "/trending?limit=5&collapse=false"
    before = api.get(url).json()["items"]
    assert api.get(url).headers["x-cache"] == "hit"
    snap = _snap(api)
    sales_7d = snap.columns.numbers(
        "sales_7d",
        snap.columns.rows(np.array([point_id(a) for a in articles.article_id], dtype=np.int64)),
    )
    quiet = max(a for a, n in zip(articles.article_id, sales_7d, strict=True) if n == 0)
    n = int(before[0]["sales_7d"]) + 3
    buyers = [f"{i:064x}" for i in range(1, n + 1)]
    _post(api, service, [_event(b, quiet) for b in buyers])
    after = api.get(url)
    assert after.headers["x-cache"] == "miss"  # keyed by the newest purchase
    top = after.json()["items"][0]
    assert (top["article_id"], top["sales_7d"]) == (quiet, n)
    assert top["reason"] == f"{n} sold in the last 7 days"
    # Purchases older than the window do not count.
    old = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    _post(api, service, [_event(buyers[0], quiet, ts=old)])
    assert api.get(url).json()["items"][0]["sales_7d"] == n
    assert (
        api.get("/trending?limit=5&collapse=false&window_days=30").json()["items"][0]["sales_30d"]
        >= n + 1
    )


def _sold(api: TestClient, article: str, category: str) -> int:
    """The article's 7-day count as /trending shows it (paged under its product type)."""
    for offset in range(0, 1000, 100):
        url = f"/trending?limit=100&offset={offset}&collapse=false&category={category}"
        items = api.get(url).json()["items"]
        for i in items:
            if i["article_id"] == article:
                return int(i["sales_7d"])
        if len(items) < 100:
            break
    raise AssertionError(f"{article} is not in /trending under {category}")


def test_a_purchase_flood_is_refused_from_a_token_and_counts_once_a_day_from_a_service_key(
    api: TestClient, keys: dict[str, dict[str, str]], sales: pd.DataFrame, articles: pd.DataFrame
) -> None:
    """The probe of issue 21: 500 purchases of the dearest article at 0.01 in one request."""
    by_price = sales.assign(price=sales.price.astype(float)).groupby("article_id").price.median()
    used = set(sorted(articles.article_id)[:13])  # other tests of this module buy these
    article = str(by_price.drop(list(used & set(by_price.index))).idxmax())
    category = str(articles.set_index("article_id").product_type_name[article])
    shopper = _buyer(sales, 6)
    token = api.post("/session", json={"customer_id": shopper}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    top = "/trending?limit=20&collapse=false"
    before, sold = api.get(top).json()["items"], _sold(api, article, category)
    log = open_log(api.app.state.settings.db_path)  # type: ignore[attr-defined]
    count = log.count()

    def flood(customer: str, **extra: Any) -> list[dict[str, Any]]:
        return [_event(customer, article, price=0.01, **extra) for _ in range(500)]

    # A shopper's token: refused, naming the events and the field; nothing logged or counted.
    r = api.post("/events", json={"events": flood(shopper)}, headers=auth)
    assert r.status_code == 403, r.text
    assert r.json()["type"].endswith("/forbidden")
    assert "events.0.type" in r.json()["detail"] and "purchase" in r.json()["detail"]
    assert log.count() == count
    assert api.get(top).json()["items"] == before
    assert _sold(api, article, category) == sold
    # Views and add-to-cart from the token are still taken.
    views = [_event(shopper, article, kind) for kind in ("view", "add_to_cart")]
    assert _post(api, auth, views)["accepted"] == 2
    # A service key: all 500 logged (the order system's word), one sale for that day.
    assert _post(api, keys["service"], flood(shopper)) == {"accepted": 500, "duplicates": 0}
    assert _sold(api, article, category) == sold + 1
    assert _post(api, keys["service"], flood(shopper))["accepted"] == 500  # same day again
    assert _sold(api, article, category) == sold + 1
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    _post(api, keys["service"], flood(shopper, ts=yesterday))
    assert _sold(api, article, category) == sold + 2  # another day: one more
    other = _buyer(sales, 7)
    _post(api, keys["service"], flood(other))
    assert _sold(api, article, category) == sold + 3  # another customer: one more


def test_a_signed_in_search_uses_the_cf_vector_with_the_purchases_folded_in(
    api: TestClient, keys: dict[str, dict[str, str]], sales: pd.DataFrame, articles: pd.DataFrame
) -> None:
    shopper = _buyer(sales, 5)
    token = api.post("/session", json={"customer_id": shopper}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = "/search?q=black+trousers&limit=20&collapse=false"
    before = api.get(url, headers=auth).json()["items"]
    assert api.get(url, headers=auth).headers["x-cache"] == "hit"
    mine = set(sales[sales.customer_id == shopper].article_id)
    new = [a for a in sorted(articles.article_id) if a not in mine][:5]
    _post(api, keys["service"], [_event(shopper, a) for a in new])  # the shop's server
    after = api.get(url, headers=auth)
    assert after.headers["x-cache"] == "miss"  # keyed by the shopper's newest event
    cf_before = {i["article_id"]: i["parts"]["cf"] for i in before}
    cf_after = {i["article_id"]: i["parts"]["cf"] for i in after.json()["items"]}
    both = set(cf_before) & set(cf_after)
    assert both and any(cf_before[a] != pytest.approx(cf_after[a]) for a in both)
    # Text parts do not depend on the shopper: the same for every article in both answers.
    text_before = {i["article_id"]: i["parts"]["text"] for i in before}
    for i in after.json()["items"]:
        if i["article_id"] in text_before:
            assert i["parts"]["text"] == pytest.approx(text_before[i["article_id"]])


def test_the_api_prunes_old_views_and_audit_entries_by_the_retention_settings(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path, articles: pd.DataFrame
) -> None:
    """Retention runs in every API process, at start and then periodically: what is older
    than the settings say goes, purchases stay."""
    import sqlite3
    import time

    from core.audit import AuditLog
    from core.events import Event

    settings = tiny_settings.model_copy(
        update={
            "db_path": tmp_path / "lookbook.db",
            "live": LiveSettings(views_retention_days=30),
            "audit_retention_days": 100,
        }
    )
    now, day = time.time(), 86400.0
    art = sorted(articles.article_id)[0]
    rows = [(kind, age) for kind in ("view", "add_to_cart", "purchase") for age in (31, 29)]
    log = open_log(settings.db_path)
    log.append([Event(f"{k}-{a}", k, NEW_REPLAY, art, now - a * day) for k, a in rows])
    AuditLog(settings.db_path).close()  # its table
    with sqlite3.connect(settings.db_path) as conn:
        for age, path in ((101, "/old"), (99, "/new")):
            at = datetime.fromtimestamp(now - age * day, UTC).isoformat()
            conn.execute(
                "INSERT INTO audit (at, key_name, role, method, path, status) "
                "VALUES (?, 'k', 'service', 'PUT', ?, 200)",
                (at, path),
            )

    def kept() -> tuple[list[str], list[str]]:
        with sqlite3.connect(events_path(settings.db_path)) as conn:
            events = [r[0] for r in conn.execute("SELECT event_id FROM events ORDER BY seq")]
        with sqlite3.connect(settings.db_path) as conn:
            audit = [r[0] for r in conn.execute("SELECT path FROM audit ORDER BY id")]
        return events, audit

    expected = (["view-29", "add_to_cart-29", "purchase-31", "purchase-29"], ["/new"])
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 30
        while kept() != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kept() == expected
    log.close()
