"""Article statistics on small sales histories whose answers are computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indexer.build.stats import article_stats, colourways, trend_score

AS_OF = 100


def _sales(rows: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    article, day, price = zip(*rows, strict=True)
    return (
        np.array(article, dtype=np.int32),
        np.array(day, dtype=np.int32),
        np.array(price, dtype=np.float32),
    )


@pytest.fixture(scope="module")
def stats() -> pd.DataFrame:
    rows = [
        # article 0: ages 0, 5, 20, 50
        (0, 100, 0.10), (0, 95, 0.20), (0, 80, 0.30), (0, 50, 0.40),
        # article 1: only older than 30 days
        (1, 60, 0.50), (1, 40, 0.70),
        # article 2: never sold; article 3: only after as_of (the future)
        (3, 101, 0.90),
        # article 4: window edges, ages 6 | 7 and 29 | 30
        (4, 94, 0.1), (4, 93, 0.1), (4, 71, 0.1), (4, 70, 0.1),
    ]  # fmt: skip
    every_one_a_customer = np.arange(len(rows), dtype=np.int32)
    return article_stats(
        *_sales(rows), n_articles=5, as_of_day=AS_OF, customer_idx=every_one_a_customer
    )


def test_counts_per_window(stats: pd.DataFrame) -> None:
    assert list(stats.index) == [0, 1, 2, 3, 4]
    assert stats["sales_7d"].tolist() == [2, 0, 0, 0, 1]
    assert stats["sales_30d"].tolist() == [3, 0, 0, 0, 3]
    assert stats["sales_total"].tolist() == [4, 2, 0, 0, 4]


def test_a_customer_counts_once_per_article_and_day_in_the_windows() -> None:
    rows = [
        # article 0: customer 7 three times on day 100 and once on day 99; customer 8 once
        (0, 100, 0.01), (0, 100, 0.01), (0, 100, 0.01), (0, 99, 0.01), (0, 100, 0.02),
        # article 1: customer 7 twice on day 80 (in 30 days only)
        (1, 80, 0.5), (1, 80, 0.5),
    ]  # fmt: skip
    customer = np.array([7, 7, 7, 7, 8, 7, 7], dtype=np.int32)
    out = article_stats(*_sales(rows), n_articles=2, as_of_day=AS_OF, customer_idx=customer)
    assert out["sales_7d"].tolist() == [3, 0]  # 7 on day 100, 7 on day 99, 8 on day 100
    assert out["sales_30d"].tolist() == [3, 1]
    assert out["sales_total"].tolist() == [5, 2]  # every transaction, as sold
    assert out["trend_score"][0] == pytest.approx(trend_score(np.array([3]), np.array([3]))[0])


def test_price_is_recent_median_then_all_time_then_nan(stats: pd.DataFrame) -> None:
    price = stats["price"].to_numpy()
    assert price[0] == pytest.approx(0.20)  # median of 0.10, 0.20, 0.30 (not 0.40: too old)
    assert price[1] == pytest.approx(0.60)  # no recent sale: all-time median of 0.5, 0.7
    assert math.isnan(price[2]) and math.isnan(price[3])


def test_first_sale_day(stats: pd.DataFrame) -> None:
    assert stats["first_sale_day"].tolist() == [50, 40, -1, -1, 70]
    assert stats["first_sale_day"].dtype == np.int64


def test_trend_score_by_hand(stats: pd.DataFrame) -> None:
    # article 0: (2 + 2) / (3 * 7/30 + 2) * ln(3)
    assert stats["trend_score"][0] == pytest.approx(4 / 2.7 * math.log(3))
    assert stats["trend_score"][1] == 0.0
    assert stats["trend_score"][2] == 0.0


def test_rising_article_outranks_steady_one() -> None:
    new, steady = trend_score(np.array([7, 7]), np.array([7, 30]))
    assert steady == pytest.approx(math.log(8))  # 7 a week at 1 a day: ratio exactly 1
    assert new == pytest.approx(9 / (49 / 30 + 2) * math.log(8))
    assert new > steady
    # one lucky sale does not beat a steady seller
    assert trend_score(np.array([1]), np.array([1]))[0] < steady


def test_no_sales_at_all() -> None:
    empty = np.array([], dtype=np.int32)
    out = article_stats(
        empty, empty, empty.astype(np.float32), n_articles=3, as_of_day=AS_OF, customer_idx=empty
    )
    assert out["sales_total"].tolist() == [0, 0, 0]
    assert out["first_sale_day"].tolist() == [-1, -1, -1]
    assert out["price"].isna().all()


def test_shape_and_range_errors() -> None:
    a, d, p = _sales([(0, 100, 0.1), (1, 99, 0.2)])
    c = np.array([0, 1], dtype=np.int32)
    with pytest.raises(ValueError, match="same length"):
        article_stats(a, d[:1], p, n_articles=2, as_of_day=AS_OF, customer_idx=c)
    with pytest.raises(ValueError, match="same length"):
        article_stats(a, d, p, n_articles=2, as_of_day=AS_OF, customer_idx=c[:1])
    with pytest.raises(ValueError, match="article_idx"):
        article_stats(a, d, p, n_articles=1, as_of_day=AS_OF, customer_idx=c)


def test_colourways() -> None:
    codes = ["0108775", "0111565", "0108775", "0112679", "0108775"]
    assert colourways(codes).tolist() == [3, 1, 3, 1, 3]
    assert colourways([]).tolist() == []
