"""From a dataset and its signals to store points: collection specs, payloads, batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.catalog import ARTICLES, EPOCH, Kind, pack, point_id
from core.changes import availability
from core.customers import History
from core.settings import Settings
from core.store.base import CollectionSpec, Point
from indexer.build.signals import Signals
from indexer.dataset.read import Dataset

BATCH = 1024
#: How many of a customer's most recent distinct purchases the payload keeps.
RECENT = 20
#: How many distinct bought articles are kept for exclusion from the feed.
BOUGHT = 300

KEYWORD_FIELDS = (
    "article_id",
    "product_code",
    "prod_name",
    "product_type_name",
    "product_group_name",
    "graphical_appearance_name",
    "colour_group_name",
    "perceived_colour_master_name",
    "department_name",
    "index_name",
    "index_group_name",
    "section_name",
    "garment_group_name",
    "availability",
)
FLOAT_FIELDS = ("price", "trend_score")
INT_FIELDS = ("sales_7d", "sales_30d", "sales_total", "first_sale_day", "colourways")


def article_spec(signals: Signals) -> CollectionSpec:
    return CollectionSpec(
        vectors={
            "text": int(signals.text.shape[1]),
            "image": int(signals.image.shape[1]),
            "cf": int(signals.item_factors.shape[1]),
            # The same factors under cosine distance: similar items rank cf by cosine, and a
            # walk of the dot-product graph finds the longest factors, not the nearest.
            "cf_cosine": int(signals.item_factors.shape[1]),
        },
        dot_vectors=("cf",),
        keyword_fields=KEYWORD_FIELDS,
        float_fields=FLOAT_FIELDS,
        integer_fields=INT_FIELDS,
    )


def customer_spec(signals: Signals) -> CollectionSpec:
    return CollectionSpec(
        vectors={"cf": int(signals.user_factors.shape[1])},
        dot_vectors=("cf",),
        keyword_fields=("customer_id",),
        searchable=False,
    )


def _display_prices(ds: Dataset, stats: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Sold price; for never-sold articles the median of their product type, else overall."""
    price = stats["price"].to_numpy(dtype=np.float64).copy()
    types = ds.articles["product_type_no"].to_numpy()
    missing = np.isnan(price)
    if missing.any():
        by_type = pd.Series(price).groupby(types).median()
        overall = float(np.nanmedian(price)) if (~missing).any() else 0.03
        fill = pd.Series(types[missing]).map(by_type).fillna(overall).to_numpy()
        price[missing] = fill
    return np.asarray(price, dtype=np.float64)


def _day_iso(day: int) -> str | None:
    return None if day < 0 else (EPOCH + timedelta(days=int(day))).isoformat()


def article_payloads(
    ds: Dataset, signals: Signals, multiplier: float = 1000.0
) -> list[dict[str, Any]]:
    """One payload per article, in dataset order, with plain JSON types; the catalog log's
    shop fields (`indexer.build.catalog`) where the frame has them: a logged shop price
    (divided by the shop's ``multiplier``) instead of the sold one, stock and visibility."""
    frame = ds.articles
    stats = signals.stats
    prices = _display_prices(ds, stats)
    if "shop_price" in frame:
        logged = frame["shop_price"].to_numpy(dtype=np.float64)
        prices = np.where(np.isnan(logged), prices, logged / multiplier)
    columns = {c.name: c.kind for c in ARTICLES.columns}
    out: list[dict[str, Any]] = []
    for i, row in enumerate(frame.itertuples(index=False)):
        rec = row._asdict()
        p: dict[str, Any] = {
            k: (int(rec[k]) if kind is Kind.INT else str(rec[k] or ""))
            for k, kind in columns.items()
        }
        image_path = rec.get("image_path")
        upload = rec.get("image_upload")
        if isinstance(upload, str):
            image_path = None  # served from the uploads, not the data folder
        in_stock, hidden = bool(rec.get("in_stock", True)), bool(rec.get("hidden", False))
        p.update(
            price=float(prices[i]),
            sales_7d=int(stats["sales_7d"].iat[i]),
            sales_30d=int(stats["sales_30d"].iat[i]),
            sales_total=int(stats["sales_total"].iat[i]),
            trend_score=round(float(stats["trend_score"].iat[i]), 6),
            first_sale_day=int(stats["first_sale_day"].iat[i]),
            first_sale=_day_iso(int(stats["first_sale_day"].iat[i])),
            colourways=int(signals.colourways[i]),
            image_path=str(image_path) if isinstance(image_path, str) else None,
            has_image=bool(signals.has_image[i]),
            cf_norm=float(np.linalg.norm(signals.item_factors[i])),
            in_stock=in_stock,
            hidden=hidden,
        )
        p["availability"] = availability(p)
        if isinstance(upload, str):
            p["image_upload"] = upload
        out.append(p)
    return out


def article_points(ds: Dataset, signals: Signals, settings: Settings) -> Iterator[list[Point]]:
    """Article points in batches; articles without an image get no image vector."""
    payloads = article_payloads(ds, signals, settings.shop.price_multiplier)
    served = served_mask(ds)
    batch: list[Point] = []
    for i, payload in enumerate(payloads):
        if not served[i]:
            continue
        vectors = {
            "text": signals.text[i].tolist(),
            "cf": signals.item_factors[i].tolist(),
        }
        if signals.has_image[i]:
            vectors["image"] = signals.image[i].tolist()
        if payload["cf_norm"] > 0:  # a cosine needs a direction: no vector for a zero one
            vectors["cf_cosine"] = vectors["cf"]
        batch.append(Point(point_id(payload["article_id"]), vectors, payload))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def served_mask(ds: Dataset) -> npt.NDArray[np.bool_]:
    """Which articles get a point: all but those the catalog log deleted."""
    if "deleted" not in ds.articles:
        return np.ones(len(ds.articles), dtype=bool)
    deleted: npt.NDArray[np.bool_] = ds.articles["deleted"].to_numpy(dtype=bool)
    return ~deleted


def customer_histories(ds: Dataset) -> list[History]:
    """Per customer: recent distinct article ids (newest first), their days, bought ids."""
    tx = ds.transactions
    article_ids = ds.articles["article_id"].to_numpy(dtype=str)
    order = np.lexsort((-tx.day.astype(np.int64), tx.customer_idx))
    cust = tx.customer_idx[order]
    art = tx.article_idx[order]
    days = tx.day[order]
    bounds = np.searchsorted(cust, np.arange(len(ds.customers) + 1))
    out: list[History] = []
    for c in range(len(ds.customers)):
        lo, hi = bounds[c], bounds[c + 1]
        _, first = np.unique(art[lo:hi], return_index=True)
        first.sort()
        idx = art[lo:hi][first]
        ids = article_ids[idx].tolist()
        out.append((ids[:RECENT], days[lo:hi][first][:RECENT].tolist(), ids[:BOUGHT]))
    return out


def customer_points(
    ds: Dataset, signals: Signals, histories: Sequence[History] | None = None
) -> Iterator[list[Point]]:
    """Customer points in batches: cf vector and what personalisation needs."""
    histories = customer_histories(ds) if histories is None else histories
    frame = ds.customers
    batch: list[Point] = []
    for i, row in enumerate(frame.itertuples(index=False)):
        recent, recent_days, bought = histories[i]
        age = getattr(row, "age", None)
        payload = {
            "customer_id": row.customer_id,
            "age": None if age is None or pd.isna(age) else int(age),
            "club_member_status": row.club_member_status or None,
            "recent": pack(recent),
            "recent_days": pack(recent_days),
            "bought": pack(bought),
            "n_purchases": len(bought),
        }
        vectors = {"cf": signals.user_factors[i].tolist()}
        batch.append(Point(point_id(row.customer_id), vectors, payload))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
