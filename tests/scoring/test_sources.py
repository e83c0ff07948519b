"""The feed's extra sources and the learned ranker's features and model, on known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.customers import REPURCHASE_PRIOR
from scoring import learned
from scoring.learned import FEATURES, Items, Ranker, RankerMismatch, Shopper, features
from scoring.sources import (
    MAX_BASKET,
    CoPurchase,
    rebuy_reason,
    rebuy_scores,
    same_product,
)


def test_rebuy_scores_follow_the_formula() -> None:
    shares = np.array([0.5, 0.05])
    counts = np.array([4, 1])
    overall = 0.1
    mine = (1 + REPURCHASE_PRIOR * overall) / (2 + REPURCHASE_PRIOR)  # one of two rebought
    own = np.array([(3 + mine) / 4, mine])
    expected = 1 - (1 - shares) * (1 - own)
    assert np.allclose(rebuy_scores(shares, overall, counts), expected)
    # A weekly rebuy of a rebought article scores far above a one-off of a rarely rebought one.
    assert expected[0] > 0.9 and expected[1] < 0.3
    assert rebuy_reason(4, 0.5) == "You bought it 4 times; 50% of its buyers buy it again"
    assert rebuy_reason(1, 0.0) == "You bought it"


def _baskets() -> tuple[list[int], list[int], list[int]]:
    """Article 3's planted partner is 7 (6 baskets), then 5 (2 baskets); 9 shares one basket
    with 3 (below the minimum); one oversized basket holds 3 with 0..39 (left out)."""
    cust, art, day = [], [], []
    for c in range(6):
        cust += [c, c]
        art += [3, 7]
        day += [100, 100]
    for c in range(6, 8):
        cust += [c, c, c]
        art += [3, 5, 5]  # a second unit of 5 in the basket counts once
        day += [101, 101, 101]
    cust += [8, 8]
    art += [3, 9]
    day += [102, 102]
    # The same customer on two days: two baskets, no pair.
    cust += [9, 9]
    art += [3, 11]
    day += [103, 104]
    big = list(range(12, 12 + MAX_BASKET))
    cust += [10] * (len(big) + 1)
    art += [3, *big]
    day += [105] * (len(big) + 1)
    return cust, art, day


def test_copurchase_finds_the_planted_partner(tmp_path: Path) -> None:
    cust, art, day = _baskets()
    table = CoPurchase.build(cust, art, day, 50, since_day=0)
    partners, together = table.of(3)
    assert partners.tolist() == [7, 5]
    assert together.tolist() == [6, 2]
    assert table.of(7)[0].tolist() == [3]
    # Baskets outside the window do not count.
    assert CoPurchase.build(cust, art, day, 50, since_day=101).of(3)[0].tolist() == [5]
    assert len(CoPurchase.build(cust, art, day, 50, since_day=0, until_day=99).of(3)[0]) == 0
    table.save(tmp_path)
    loaded = CoPurchase.load(tmp_path)
    assert loaded is not None
    assert loaded.of(3)[0].tolist() == [7, 5]
    assert CoPurchase.load(tmp_path / "none") is None
    # Scored from purchases with weights: 7 scores 1.0 per unit weight, 5 scores 2/6.
    rows, scores, via = loaded.scored([3], [0.5])
    assert rows.tolist() == [7, 5]
    assert np.allclose(scores, [0.5, 0.5 * 2 / 6])
    assert via.tolist() == [3, 3]
    # Two purchases: each partner sums what it owes to each, and names the larger.
    rows, scores, via = loaded.scored([3, 7], [0.5, 1.0])
    assert rows.tolist() == [3, 7, 5]
    assert np.allclose(scores, [1.0, 0.5, 0.5 * 2 / 6])
    assert via.tolist() == [7, 3, 3]
    assert loaded.scored([], [])[0].tolist() == []


def test_same_product_finds_other_colours() -> None:
    codes = np.array([10, 11, 10, 12, 10, 11])
    assert same_product(codes, [10], exclude=[0], limit=5).tolist() == [2, 4]
    assert same_product(codes, [10, 11], exclude=[0, 1], limit=2).tolist() == [2, 4]
    assert same_product(codes, [], exclude=[], limit=5).tolist() == []


def _items(keys: list[int], **kw: list[float]) -> Items:
    n = len(keys)
    base = {
        "code": [0] * n,
        "ptype": [0] * n,
        "dept": [0] * n,
        "price": [1.0] * n,
        "sales_7d": [0.0] * n,
        "sales_30d": [0.0] * n,
        "trend": [0.0] * n,
        "first_day": [-1.0] * n,
        "share": [0.1] * n,
    } | kw
    ints = ("code", "ptype", "dept")
    return Items(
        key=np.array(keys, dtype=np.int64),
        **{k: np.array(v, dtype=np.int64 if k in ints else np.float64) for k, v in base.items()},
    )


def test_features_on_known_answers() -> None:
    bought = _items([1, 2], code=[100, 200], ptype=[5, 6], dept=[1, 1], price=[10.0, 30.0])
    shopper = Shopper(
        bought, np.array([3.0, 1.0]), np.array([90.0, np.nan]), overall_share=0.1, as_of_day=100
    )
    cand = _items(
        [1, 3, 4],
        code=[100, 100, 300],
        ptype=[5, 5, 7],
        dept=[1, 2, 1],
        price=[10.0, 40.0, 20.0],
        first_day=[50.0, -1.0, 99.0],
    )
    x = features(cand, {"cf": np.array([1.0, 0.5, np.nan])}, np.zeros(3), np.zeros(3), shopper)
    col = {f: x[:, i] for i, f in enumerate(FEATURES)}
    rebuy = rebuy_scores([0.1, 0.1], 0.1, [3, 1])
    assert np.allclose(col["rebuy"], [rebuy[0], 0, 0])
    assert col["bought_count"].tolist() == [3, 0, 0]
    assert col["days_since_bought"][0] == 10 and np.isnan(col["days_since_bought"][1:]).all()
    assert col["colourway"].tolist() == [0, 1, 0]  # 3 is another colour of bought 1
    assert np.allclose(col["type_share"], [0.5, 0.5, 0])
    assert np.allclose(col["dept_share"], [1, 0, 1])
    assert np.allclose(col["price_ratio"], [0.5, 2.0, 1.0])  # the usual price is 20
    assert col["days_since_type"][0] == 10 and np.isnan(col["days_since_type"][2])
    assert col["age_days"][0] == 50 and np.isnan(col["age_days"][1])
    assert col["n_bought"].tolist() == [2, 2, 2]
    assert col["days_since_last"].tolist() == [10, 10, 10]
    assert np.isnan(col["text"]).all() and np.isnan(col["cf"][2])


def _train_on_rebuy(models_dir: Path) -> None:
    """A tiny model where the label is exactly "rebuy above 0.5"."""
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    x = rng.random((2000, len(FEATURES))).astype(np.float32)
    y = (x[:, FEATURES.index("rebuy")] > 0.5).astype(np.float32)
    model = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1},
        lgb.Dataset(x, y, feature_name=list(FEATURES)),
        30,
    )
    learned.save(models_dir, model.model_to_string(), {"objective": "binary"})


def test_the_ranker_loads_and_ranks_a_planted_candidate_first(tmp_path: Path) -> None:
    assert Ranker.load(tmp_path) is None  # a version built without one
    _train_on_rebuy(tmp_path)
    ranker = Ranker.load(tmp_path, "v1")
    assert ranker is not None
    x = np.random.default_rng(1).random((50, len(FEATURES))).astype(np.float32)
    x[:, FEATURES.index("rebuy")] = 0.1
    x[17, FEATURES.index("rebuy")] = 0.9
    assert int(np.argmax(ranker.score(x))) == 17


def test_a_ranker_of_other_features_is_refused(tmp_path: Path) -> None:
    _train_on_rebuy(tmp_path)
    meta = tmp_path / learned.FOLDER / "ranker.json"
    written = json.loads(meta.read_text())
    written["features"] = [f for f in FEATURES if f != "trend"] + ["weather"]
    meta.write_text(json.dumps(written))
    with pytest.raises(RankerMismatch) as err:
        Ranker.load(tmp_path, "v9")
    said = str(err.value)
    assert "version v9" in said and "missing ['trend']" in said and "unknown ['weather']" in said
    assert "LOOKBOOK_RANKING__RANKER=blend" in said
