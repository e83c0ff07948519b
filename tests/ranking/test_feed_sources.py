"""The feed's extra sources and the learned ranker on a built index, with planted shoppers:
a weekly rebuyer gets the article again with the rebuy reason, a one-off buyer does not, the
planted partner of a purchase comes from the co-purchase source, and the learned ranker loads
from the version and orders the feed."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.settings import Settings
from ranking.feed import feed, feed_pool, shopper_of
from ranking.request import ListFilters, Page
from ranking.taste import load_customer
from scoring.sources import rebuy_scores
from tests.conftest import copy_index

pytestmark = pytest.mark.slow

REBUYER = "a1" * 32
ONE_OFF = "a2" * 32
PAIR_FAN = "a3" * 32


def _plant(data: Path) -> dict[str, str]:
    """Append the planted shoppers; returns the articles they are about."""
    arts = pd.read_csv(data / "articles.csv", dtype=str)
    tx = pd.read_csv(data / "transactions_train.csv", dtype=str)
    last = date.fromisoformat(tx.t_dat.max())
    sold = tx.article_id.value_counts()
    # The least sold articles, of four products: little else pulls them in.
    arts["sold"] = arts.article_id.map(sold).fillna(0)
    arts = arts.sort_values(["sold", "article_id"]).drop_duplicates("product_code")
    weekly, a, b = arts.article_id.iloc[:3]
    # The one-off buyer's articles: the ten whose buyers rebuy least (among those with 20+).
    per = tx.groupby(["article_id", "customer_id"]).size()
    buyers = per.groupby(level=0).size()
    again = (per >= 2).groupby(level=0).sum()
    rarely = (again / buyers)[buyers >= 20].sort_values(kind="stable")
    singles = [x for x in rarely.index if x not in (weekly, a, b)][:10]
    once = singles[0]
    rows = []

    def buy(day: date, customer: str, article: str) -> None:
        rows.append(f"{day.isoformat()},{customer},{article},0.0254,2\n")

    for week in range(8):
        buy(last - timedelta(days=7 * week + 8), REBUYER, weekly)
    for i, x in enumerate(singles):
        buy(last - timedelta(days=20 + i), ONE_OFF, x)
    for i in range(8):  # eight shoppers buy a and b in one basket
        who = f"{i:02x}" * 32
        buy(last - timedelta(days=30 + i), who, a)
        buy(last - timedelta(days=30 + i), who, b)
    buy(last - timedelta(days=9), PAIR_FAN, a)
    people = [REBUYER, ONE_OFF, PAIR_FAN, *(f"{i:02x}" * 32 for i in range(8))]
    with open(data / "customers.csv", "a") as fh:
        for c in people:
            fh.write(f"{c},1.0,1.0,ACTIVE,Regularly,31,{'ab' * 32}\n")
    with open(data / "transactions_train.csv", "a") as fh:
        fh.writelines(rows)
    return {"weekly": weekly, "once": once, "a": a, "b": b}


@pytest.fixture(scope="module")
def planted(tiny_settings: Settings, tiny_index: Any, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from core.store import open_store
    from indexer.build.pipeline import build
    from ranking.index import LiveIndex

    root = tmp_path_factory.mktemp("planted")
    data = root / "data"
    shutil.copytree(tiny_settings.data_dir, data)
    found = _plant(data)
    (root / "index").mkdir()
    copy_index(tiny_settings.index_dir / "cache", root / "index" / "cache")
    settings = tiny_settings.model_copy(
        update={"data_dir": data, "index_dir": root / "index", "db_path": root / "db"}
    )
    build(settings, data_dir=data)
    snap = LiveIndex(settings, open_store(settings)).snapshot()
    yield settings, snap, found
    snap.reader.close()


def _feed(snap: Any, settings: Settings, who: str, limit: int = 12) -> list[tuple[str, str]]:
    ranked, reasons = feed(snap, settings, who, None, ListFilters(), Page(limit, 0, True))
    return [(r.payload["article_id"], why) for r, why in zip(ranked.records, reasons, strict=True)]


def test_a_weekly_rebuy_is_offered_again_with_its_reason(planted: Any) -> None:
    settings, snap, found = planted
    items = _feed(snap, settings, REBUYER)
    assert items[0][0] == found["weekly"] or found["weekly"] in dict(items)
    why = dict(items)[found["weekly"]]
    assert why.startswith("You bought it 8 times")
    # Leaving out everything bought (the old policy) takes it away.
    strict = settings.model_copy(
        update={"ranking": settings.ranking.model_copy(update={"rebuy_threshold": 1.01})}
    )
    assert found["weekly"] not in dict(_feed(snap, strict, REBUYER, 100))


def test_a_one_off_purchase_is_left_out(planted: Any) -> None:
    settings, snap, found = planted
    who = shopper_of(snap, load_customer(snap, ONE_OFF))
    assert who is not None
    score = rebuy_scores(who.bought.share, who.overall_share, who.counts)
    assert score[0] < settings.ranking.rebuy_threshold  # the premise: not a likely rebuy
    assert found["once"] not in dict(_feed(snap, settings, ONE_OFF, 100))
    # Asked not to leave bought articles out, the feed may show it (it is a candidate).
    pool, _ = feed_pool(
        snap, settings, ONE_OFF, None, ListFilters(), Page(12, 0, True), exclude_bought=False
    )
    assert found["once"] not in pool.notes  # but never as a rebuy


def test_the_copurchase_source_finds_the_planted_partner(planted: Any) -> None:
    settings, snap, found = planted
    pool, _ = feed_pool(snap, settings, PAIR_FAN, None, ListFilters(), Page(12, 0, True))
    from core.catalog import point_id

    ids = pool.ids.tolist()
    b = point_id(found["b"])
    assert b in ids
    assert pool.sources["copurchase"][ids.index(b)] == pytest.approx(
        max(pool.sources["copurchase"])
    )
    assert pool.via[b] == point_id(found["a"])
    items = dict(_feed(snap, settings, PAIR_FAN, 200))
    name = snap.columns.payload_of(point_id(found["a"]))
    assert found["b"] in items
    assert items[found["b"]].startswith("Often bought with the ")
    assert name  # the purchase is in the catalog the reason names


def test_the_learned_ranker_loads_from_the_version_and_orders_the_feed(planted: Any) -> None:
    settings, snap, _ = planted
    assert snap.ranker is not None
    meta = snap.manifest["ranker"]
    assert meta["features"] if "features" in meta else snap.ranker.meta["features"]
    assert meta["customers"] > 0 and meta["positives"] > 0
    learned = settings.model_copy(
        update={"ranking": settings.ranking.model_copy(update={"ranker": "learned"})}
    )
    ranked, reasons = feed(snap, learned, REBUYER, None, ListFilters(), Page(12, 0, True))
    assert ranked.ranker == "learned" and ranked.weights is None
    assert len(ranked.records) == 12 and all(reasons)
    assert all(
        any(v is not None for v in p.values()) or r
        for p, r in zip(ranked.parts, reasons, strict=True)
    )
    # Its order is the model's: scores descending.
    scores = np.array(ranked.scores, dtype=np.float64)
    assert (np.diff(scores) <= 1e-12).all()
    pool, _ = feed_pool(snap, learned, REBUYER, None, ListFilters(), Page(12, 0, True))
    assert pool.learned is not None and len(pool.learned) == len(pool)
