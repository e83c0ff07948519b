"""The learned ranker: a LightGBM model over the feed's candidates.

The build trains it (`indexer.build.ranker`) on the week before its cut-off and writes it into
the version (``models/<version>/ranker/``: ``model.txt`` and ``ranker.json`` with the feature
list, the objective and the training figures). Every API process loads it with the version.
`features` is the one place the features are computed: the build and the API call it with the
same kinds of arrays, so what the model learned from is what it is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import IndexNotReady
from scoring.sources import rebuy_scores

FOLDER = "ranker"
#: The features, in the model's column order. A version whose model lists others is refused.
FEATURES = (
    "cf",
    "text",
    "image",
    "blend",
    "rebuy",
    "bought_count",
    "days_since_bought",
    "copurchase",
    "colourway",
    "sales_7d",
    "sales_30d",
    "trend",
    "age_days",
    "repurchase_share",
    "price_ratio",
    "days_since_type",
    "type_share",
    "dept_share",
    "n_bought",
    "days_since_last",
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Items:
    """Facts of some articles, one entry each, in one coding of the keyword fields (the API's
    columns codes, or the build's factorised frame): all arrays of one length."""

    key: IntArray  # the article's identity (point id, or row): compared, never computed with
    code: IntArray  # product code
    ptype: IntArray  # product type
    dept: IntArray  # department
    price: FloatArray
    sales_7d: FloatArray
    sales_30d: FloatArray
    trend: FloatArray
    first_day: FloatArray  # -1: never sold
    share: FloatArray  # smoothed share of its buyers who buy it again

    def __len__(self) -> int:
        return len(self.key)


@dataclass(frozen=True)
class Shopper:
    """What the ranker reads of a customer: the distinct articles bought, how many times each,
    the day of the last purchase of each (NaN: older than the recent purchases kept), and the
    catalogue's repurchase share (the prior of the customer's own)."""

    bought: Items
    counts: FloatArray
    last_day: FloatArray
    overall_share: float
    as_of_day: int


def features(
    cand: Items,
    parts: dict[str, FloatArray],
    blend: FloatArray,
    copurchase: FloatArray,
    shopper: Shopper,
) -> npt.NDArray[np.float32]:
    """The (candidates × `FEATURES`) matrix; NaN where a feature does not apply (LightGBM
    learns a direction for missing values)."""
    n = len(cand)
    out = np.full((n, len(FEATURES)), np.nan, dtype=np.float64)
    col = {name: i for i, name in enumerate(FEATURES)}
    for s in ("cf", "text", "image"):
        if s in parts:
            out[:, col[s]] = parts[s]
    out[:, col["blend"]] = blend
    b = shopper.bought
    day = float(shopper.as_of_day)
    rebuy = np.zeros(n)
    count = np.zeros(n)
    since = np.full(n, np.nan)
    colourway = np.zeros(n)
    type_since = np.full(n, np.nan)
    type_share = np.zeros(n)
    dept_share = np.zeros(n)
    price_ratio = np.full(n, np.nan)
    last = np.nan
    if len(b):
        scores = rebuy_scores(b.share, shopper.overall_share, shopper.counts)
        order = np.argsort(b.key, kind="stable")
        pos = np.searchsorted(b.key[order], cand.key)
        pos = np.minimum(pos, len(order) - 1)
        hit = b.key[order][pos] == cand.key
        j = order[pos]
        rebuy[hit] = scores[j[hit]]
        count[hit] = shopper.counts[j[hit]]
        since[hit] = day - shopper.last_day[j[hit]]
        colourway = (np.isin(cand.code, b.code) & ~hit).astype(np.float64)
        types, per_type = np.unique(b.ptype, return_counts=True)
        depts, per_dept = np.unique(b.dept, return_counts=True)
        type_share = _lookup(types, per_type / len(b), cand.ptype)
        dept_share = _lookup(depts, per_dept / len(b), cand.dept)
        known = ~np.isnan(shopper.last_day)
        if known.any():
            newest = _newest_by(b.ptype[known], shopper.last_day[known])
            type_since = day - _lookup(newest[0], newest[1], cand.ptype, np.nan)
            last = day - float(np.nanmax(shopper.last_day))
        usual = float(np.median(b.price))
        if usual > 0:
            price_ratio = cand.price / usual
    out[:, col["rebuy"]] = rebuy
    out[:, col["bought_count"]] = count
    out[:, col["days_since_bought"]] = since
    out[:, col["copurchase"]] = copurchase
    out[:, col["colourway"]] = colourway
    out[:, col["sales_7d"]] = cand.sales_7d
    out[:, col["sales_30d"]] = cand.sales_30d
    out[:, col["trend"]] = cand.trend
    out[:, col["age_days"]] = np.where(cand.first_day >= 0, day - cand.first_day, np.nan)
    out[:, col["repurchase_share"]] = cand.share
    out[:, col["price_ratio"]] = price_ratio
    out[:, col["days_since_type"]] = type_since
    out[:, col["type_share"]] = type_share
    out[:, col["dept_share"]] = dept_share
    out[:, col["n_bought"]] = len(b)
    out[:, col["days_since_last"]] = last
    return out.astype(np.float32)


def _lookup(
    keys: npt.NDArray[Any], values: npt.NDArray[Any], wanted: npt.NDArray[Any], missing: float = 0.0
) -> FloatArray:
    """``values`` of ``keys`` (sorted, unique) at each of ``wanted``; ``missing`` elsewhere."""
    out = np.full(len(wanted), missing, dtype=np.float64)
    if not len(keys):
        return out
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = keys[pos] == wanted
    out[hit] = np.asarray(values, dtype=np.float64)[pos[hit]]
    return out


def _newest_by(keys: npt.NDArray[Any], days: FloatArray) -> tuple[npt.NDArray[Any], FloatArray]:
    """Per distinct key (sorted), the latest of its days."""
    order = np.lexsort((-days, keys))
    k, first = np.unique(keys[order], return_index=True)
    return k, days[order][first]


class RankerMismatch(IndexNotReady):
    """The version's model was trained on other features than this code computes."""


class Ranker:
    """A version's trained model: scores candidates from their `features`."""

    def __init__(self, booster: Any, meta: dict[str, Any]) -> None:
        self._booster = booster
        self.meta = meta

    @classmethod
    def load(cls, models_dir: Path, version: str = "") -> Ranker | None:
        """The version's ranker; None for a version built without one. A model whose feature
        list differs from `FEATURES` is refused with `RankerMismatch`."""
        folder = models_dir / FOLDER
        if not (folder / "model.txt").is_file():
            return None
        meta = json.loads((folder / "ranker.json").read_text())
        found = list(meta.get("features", []))
        if found != list(FEATURES):
            missing = [f for f in FEATURES if f not in found]
            extra = [f for f in found if f not in FEATURES]
            raise RankerMismatch(
                f"version {version or models_dir.name}: its learned ranker was trained on other "
                f"features than this API computes (missing {missing}, unknown {extra}, or in "
                "another order): rebuild the index (`make index`) or serve with "
                "LOOKBOOK_RANKING__RANKER=blend"
            )
        import lightgbm as lgb

        booster = lgb.Booster(model_file=str(folder / "model.txt"))
        if booster.num_feature() != len(FEATURES):
            raise RankerMismatch(
                f"version {version}: its model reads {booster.num_feature()} features, "
                f"this API computes {len(FEATURES)}"
            )
        return cls(booster, meta)

    def score(self, x: npt.NDArray[np.float32]) -> FloatArray:
        """The model's score of each row (higher: ranked first)."""
        if not len(x):
            return np.zeros(0)
        out: FloatArray = np.asarray(self._booster.predict(x, num_threads=1), dtype=np.float64)
        return out


def save(models_dir: Path, model_text: str, meta: dict[str, Any]) -> Path:
    """Write a trained model and its description into the version."""
    folder = models_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.txt").write_text(model_text)
    (folder / "ranker.json").write_text(json.dumps({**meta, "features": list(FEATURES)}, indent=2))
    return folder
