"""Time and money in the synthetic world: the days of the data, daily sales volume, seasons,
sales periods and the price list.

Days are counted from 2018-09-20 (the first day of the real file) to 2020-09-22; week ``w``
holds the days with ``(day + 1) // 7 == w``, so the last week of the data is one whole week.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from indexer.synthetic.articles import LINES, N_DAYS, PRICE_LADDER, PRICE_SCALE, Catalog
from indexer.synthetic.taxonomy import TYPE_BY_NAME

START = dt.date(2018, 9, 20)
N_WEEKS = (N_DAYS + 1) // 7 + 1
DISCOUNTS = np.array([1.0, 0.8, 0.7, 0.6, 0.5])
#: Spring 2020: stores closed, fewer sales and nearly all of them online.
LOCKDOWN = ((dt.date(2020, 3, 15) - START).days, (dt.date(2020, 5, 10) - START).days)


def day_strings() -> list[str]:
    return [(START + dt.timedelta(days=d)).isoformat() for d in range(N_DAYS)]


def price_strings() -> list[str]:
    """Data prices as the real file writes them: shop price / 590 with all its digits."""
    shop = np.round(PRICE_LADDER[:, None] * DISCOUNTS[None, :], 2).ravel()
    return [repr(float(p / PRICE_SCALE)) for p in shop]


def day_of_year(days: np.ndarray) -> np.ndarray:
    return (days + START.timetuple().tm_yday - 1) % 365.25


def daily_volume() -> np.ndarray:
    """Relative sales per day: growth, weekends, summer and Christmas peaks, Black Friday,
    the spring 2020 lockdown dip."""
    d = np.arange(N_DAYS, dtype=np.float64)
    doy = day_of_year(d)
    weekday = (d + START.weekday()) % 7
    v = (1.0 + 0.25 * d / N_DAYS) * np.where(weekday >= 4, 1.15, 1.0)
    v *= 1.0 + 0.35 * np.exp(-(((doy - 170.0) / 25.0) ** 2))
    v *= 1.0 + 0.25 * np.exp(-(((doy - 350.0) / 12.0) ** 2))
    for peak in (dt.date(2018, 11, 23), dt.date(2019, 11, 29)):
        v[(peak - START).days] *= 2.2
    v[LOCKDOWN[0] : LOCKDOWN[1]] *= 0.75
    return v


def in_lockdown(day: np.ndarray) -> np.ndarray:
    return (day >= LOCKDOWN[0]) & (day < LOCKDOWN[1])


def _season_table() -> np.ndarray:
    """(len(LINES), N_WEEKS) demand factor: summer lines peak in late June, winter lines at
    Christmas, the rest flat."""
    mid = np.arange(N_WEEKS, dtype=np.float64) * 7.0 + 2.0
    seasons = np.array([TYPE_BY_NAME[ln.type_name].season for ln in LINES])
    peak = np.where(seasons == "summer", 175.0, 355.0)
    wave = np.cos(2.0 * np.pi * (day_of_year(mid)[None, :] - peak[:, None]) / 365.25)
    return np.where(seasons[:, None] == "", 1.0, 1.0 + 0.8 * wave)


SEASON = _season_table()


def prices(
    rng: np.random.Generator, catalog: Catalog, day: np.ndarray, art: np.ndarray
) -> np.ndarray:
    """Price code per item: the article's shop price, discounted in sales and when old."""
    doy = day_of_year(day.astype(np.float64))
    sale = ((doy >= 176) & (doy <= 213)) | (doy >= 360) | (doy <= 31)
    old = (day - catalog.launch[art]) > 120
    discounted = rng.random(len(day)) < np.where(sale, 0.45, 0.08 + 0.25 * old)
    factor = np.where(discounted, rng.integers(1, len(DISCOUNTS), len(day)), 0)
    codes: np.ndarray = (catalog.price_idx[art] * len(DISCOUNTS) + factor).astype(np.int16)
    return codes
