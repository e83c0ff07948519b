"""Per-article sales statistics: popularity, trend, price and launch, plus colourway counts.

Windows are counted in whole days and end at ``as_of_day`` inclusive: "the last 7 days" are
``as_of_day - 6 .. as_of_day``. Sales after ``as_of_day`` are the future and never counted.
The window counts (``sales_7d``, ``sales_30d``, and the trend from them) are buyer-days: a
customer counts once per article and day however many rows they have (the live counts of
`core.sales` count the same way), so one customer cannot make an article trend.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Pseudo-sales added to both sides of the trend ratio, so that one sale is not a "trend".
TREND_SMOOTHING = 2.0
PRICE_WINDOW_DAYS = 30


def trend_score(sales_7d: np.ndarray, sales_30d: np.ndarray) -> np.ndarray:
    """How strongly an article is rising now, 0 for articles without sales this week.

    ``ratio = (sales_7d + s) / (sales_30d * 7 / 30 + s)`` compares this week with the week
    the 30-day rate predicts (``s`` = `TREND_SMOOTHING`): 1 for steady sales, above 1 for
    rising ones. Multiplying by ``log1p(sales_7d)`` prefers a hit over a single sale rising
    from nothing, without letting sheer volume swamp the rise. Example: 7 sales this week
    and 7 in 30 days (new): ratio 9/3.63 = 2.48, score 2.48·ln 8 = 5.16.
    """
    s7 = np.asarray(sales_7d, dtype=np.float64)
    s30 = np.asarray(sales_30d, dtype=np.float64)
    ratio = (s7 + TREND_SMOOTHING) / (s30 * 7.0 / 30.0 + TREND_SMOOTHING)
    return ratio * np.log1p(s7)


def _medians(article_idx: np.ndarray, price: np.ndarray, n_articles: int) -> np.ndarray:
    out = np.full(n_articles, np.nan)
    if len(article_idx):
        med = pd.Series(price, dtype=np.float64).groupby(article_idx).median()
        out[med.index.to_numpy()] = med.to_numpy()
    return out


def article_stats(
    article_idx: np.ndarray,
    day: np.ndarray,
    price: np.ndarray,
    n_articles: int,
    as_of_day: int,
    *,
    customer_idx: np.ndarray,
) -> pd.DataFrame:
    """Statistics of every article from its sales (one row per transaction).

    Parameters
    ----------
    article_idx : int array, shape (n_transactions,), values in ``[0, n_articles)``
    day : int array, shape (n_transactions,), days since 1970-01-01
    price : float array, shape (n_transactions,), the scaled data price
    as_of_day : int, the last day counted
    customer_idx : int array, shape (n_transactions,), the buyer

    Returns
    -------
    DataFrame indexed ``0 .. n_articles - 1`` with columns
    ``sales_7d``, ``sales_30d`` (int64 buyer-days: distinct (customer, day) in the window),
    ``sales_total`` (int64 transaction counts),
    ``trend_score`` (float64, see `trend_score`),
    ``price`` (float64: median price of the last 30 days' sales, else of all sales, else NaN),
    ``first_sale_day`` (int64, -1 for articles never sold).
    """
    shapes = {
        "article_idx": np.shape(article_idx),
        "day": np.shape(day),
        "price": np.shape(price),
        "customer_idx": np.shape(customer_idx),
    }
    if len(set(shapes.values())) != 1 or len(shapes["day"]) != 1:
        raise ValueError(f"transaction arrays must be 1-d and the same length, got {shapes}")
    if len(article_idx) and (article_idx.min() < 0 or article_idx.max() >= n_articles):
        raise ValueError(f"article_idx must lie in [0, {n_articles})")
    past = day <= as_of_day
    article_idx, day, price = article_idx[past], day[past], price[past]
    age = as_of_day - day.astype(np.int64)
    in_7, in_30 = age < 7, age < PRICE_WINDOW_DAYS

    def count(mask: np.ndarray | None = None) -> np.ndarray:
        idx = article_idx if mask is None else article_idx[mask]
        return np.bincount(idx, minlength=n_articles).astype(np.int64)

    # The first row of each (customer, article, day) in the last 30 days: one buyer-day.
    recent = np.flatnonzero(in_30)
    buyer = np.asarray(customer_idx)[past][recent].astype(np.int64)
    keys = (buyer * n_articles + article_idx[recent]) * PRICE_WINDOW_DAYS + age[recent]
    first = np.zeros(len(article_idx), dtype=bool)
    first[recent[np.unique(keys, return_index=True)[1]]] = True
    sales_7d, sales_30d = count(first & in_7), count(first)
    price_out = _medians(article_idx[in_30], price[in_30], n_articles)
    missing = np.isnan(price_out)
    if missing.any():
        rows = missing[article_idx]
        price_out[missing] = _medians(article_idx[rows], price[rows], n_articles)[missing]
    first_day = np.full(n_articles, np.iinfo(np.int64).max)
    np.minimum.at(first_day, article_idx, day.astype(np.int64))
    first_day[first_day == np.iinfo(np.int64).max] = -1
    return pd.DataFrame(
        {
            "sales_7d": sales_7d,
            "sales_30d": sales_30d,
            "sales_total": count(),
            "trend_score": trend_score(sales_7d, sales_30d),
            "price": price_out,
            "first_sale_day": first_day,
        },
        index=pd.RangeIndex(n_articles),
    )


def colourways(product_codes: Sequence[str]) -> np.ndarray:
    """For each article, how many articles (itself included) share its ``product_code``."""
    if len(product_codes) == 0:
        return np.zeros(0, dtype=np.int64)
    _, inverse, counts = np.unique(
        np.asarray(product_codes, dtype=str), return_inverse=True, return_counts=True
    )
    return counts[inverse].astype(np.int64)
